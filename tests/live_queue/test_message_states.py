"""The host stand's message states and confirmations are live rows like the rest: a text
delivered or failed, a diner's reply, "on my way" reach an open host stand and the diner's
own page as pushes, only the rows that changed, without a reload."""

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from messaging import worker
from messaging.models import Message
from orders import services

from .conftest import Screen

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def texts_to_a_file(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "texts.jsonl")


def texting_party(restaurant, name, phone):
    dish = restaurant.menu_items.first()
    return services.join_queue(
        restaurant.pk, customer_name=name, party_size=2, lines=[services.LineRequest(dish.pk, 1)],
        phone=phone, notify_by_sms=True,
    )


async def test_a_texts_fate_and_the_diners_confirmation_are_pushed_to_the_open_host_stand(
    restaurant, staff_cookie
):
    ada = await sync_to_async(texting_party)(restaurant, "Ada", "+14155550134")
    bob = await sync_to_async(texting_party)(restaurant, "Bob", "+14155550135")
    host = await Screen(f"/ws/restaurant/{restaurant.slug}/host/", await staff_cookie()).open()
    diner = await Screen(f"/ws/q/{ada.public_token}/").open()
    await sync_to_async(services.notify_party)(ada.pk, None)
    await host.shows("Head over now: text sending", "not confirmed yet")
    await diner.shows("On my way")

    await sync_to_async(worker.send_due)("live-test")
    await host.shows("Head over now: text sent")

    text = await sync_to_async(Message.objects.get)(order=ada, kind="head_over")

    def landline():
        with transaction.atomic():  # as the status callback does
            Message.objects.filter(pk=text.pk).update(state="failed", error_code="30006")
            services.screens_changed(restaurant.pk, [ada.pk])

    await sync_to_async(landline)()
    await host.shows("text failed: is it a landline?")

    await sync_to_async(services.confirm_on_my_way)(ada.pk, via="sms")
    html = await host.shows("Confirmed ")
    await diner.shows("You said you're on your way")
    assert "not confirmed yet" not in html
    assert f'id="queue-{bob.pk}"' in html  # Bob's row stayed (only Ada's moved and changed)
