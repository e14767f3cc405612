"""The pages messaging adds or changes: the join form's channel choice, the service worker
and the manifest (served so the strict Content-Security-Policy allows them), and the message
log in the back office, scoped like the rest of it (no links shown)."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from messaging.models import Message
from orders.models import Order

from .conftest import PHONE

pytestmark = pytest.mark.django_db


def join_form(menu, **extra):
    return {"customer_name": "Priya", "party_size": "2", f"item-{menu['pizza'].pk}-qty": "1", **extra}


def test_the_join_form_offers_texts_and_email_and_this_browser_only_with_web_push_set_up(client, restaurant, settings):
    settings.VAPID_PUBLIC_KEY = ""
    page = client.get(restaurant.get_absolute_url()).content.decode()
    assert "Text me at this number" in page and "Email me" in page
    assert "Notify me in this browser" not in page
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = "BPub", "priv"
    assert "Notify me in this browser" in client.get(restaurant.get_absolute_url()).content.decode()


def test_joining_with_texts_ticked_stores_the_number_in_e164_and_the_choice(client, restaurant, menu):
    response = client.post(restaurant.get_absolute_url(), join_form(menu, phone="415.555.0134", notify_by_sms="on"))
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.phone, order.notify_channels) == (PHONE, ["sms"])
    assert Message.objects.get(order=order).kind == "joined"


def test_texts_ticked_without_a_number_is_refused_on_the_form(client, restaurant, menu):
    response = client.post(restaurant.get_absolute_url(), join_form(menu, notify_by_sms="on"))
    assert response.status_code == 400
    assert "tell us the phone number to text" in response.content.decode()
    assert not Order.objects.exists()


def test_a_phone_read_in_the_restaurants_region(join, restaurant):
    restaurant.phone_region = "PT"
    restaurant.save()
    assert join("Rui", phone="912 345 678", notify_by_sms=True).phone == "+351912345678"


def test_the_service_worker_is_served_from_the_root_as_javascript(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert b'addEventListener("push"' in response.content


def test_a_diners_manifest_opens_their_own_page(client, join):
    ana = join("Ana")
    manifest = client.get(f"/q/{ana.public_token}/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    assert manifest.json()["start_url"] == f"/q/{ana.public_token}/"
    assert client.get("/q/not-a-party-token-xyz/manifest.webmanifest").status_code == 404


@pytest.fixture
def manager(staff_user):
    staff_user.is_staff = True
    staff_user.save()
    staff_user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["orders", "messaging"]))
    browser = Client()
    browser.force_login(staff_user)
    return browser


def test_a_manager_sees_only_their_restaurants_messages_and_never_a_link(
    manager, join, other_restaurant, other_menu_item, restaurant
):
    mine = join("Priya", phone=PHONE, notify_by_sms=True)
    theirs = join("Lupe", at=other_restaurant, dishes={other_menu_item: 1}, phone="+14155550199", notify_by_sms=True)
    page = manager.get("/admin/messaging/message/").content.decode()
    assert mine.order_code in page and theirs.order_code not in page
    their_message = Message.objects.get(order=theirs)
    assert manager.get(f"/admin/messaging/message/{their_message.pk}/change/").status_code == 302  # not found: back to the list
    my_message = Message.objects.get(order=mine)
    detail = manager.get(f"/admin/messaging/message/{my_message.pk}/change/").content.decode()
    assert "you&#x27;re in the queue" in detail or "you're in the queue" in detail
    assert mine.public_token not in detail
    party = manager.get(f"/admin/orders/order/{mine.pk}/change/").content.decode()
    assert "you&#x27;re in the queue" in party and mine.public_token not in party
    assert manager.get("/admin/messaging/pushsubscription/").status_code == 403
