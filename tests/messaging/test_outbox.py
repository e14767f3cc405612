"""The outbox: a row per message on each channel the diner chose, written in the same
transaction as the change; the worker sends each once, retries, gives up and falls back."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction

from messaging import worker
from messaging.backends import SendError
from messaging.models import Message, OptOut, State
from orders import services
from orders.models import Order

from .conftest import PHONE, messages_of

pytestmark = pytest.mark.django_db


def test_a_party_that_chose_texts_is_texted_when_it_joins_and_when_told_to_head_over(
    texting, texts, send_now, staff_user
):
    priya = texting("Priya")
    send_now()
    services.notify_party(priya.pk, staff_user)
    send_now()
    sent = texts()
    assert [t["kind"] for t in sent] == ["joined", "head_over"]
    assert all(t["to"] == PHONE and t["order_code"] == priya.order_code for t in sent)
    assert f"https://queue.example.com/q/{priya.public_token}" in sent[1]["body"]
    assert [m.state for m in messages_of(priya)] == [State.SENT, State.SENT]


def test_nothing_is_sent_on_a_channel_the_diner_did_not_choose(join, texts, send_now, staff_user):
    quiet = join("Quiet", phone=PHONE, email="quiet@example.com")  # addresses, no choice
    services.notify_party(quiet.pk, staff_user)
    send_now()
    assert Message.objects.count() == 0 and texts() == [] and mail.outbox == []


def test_email_only_diners_get_emails_and_no_texts(join, texts, send_now, staff_user):
    ana = join("Ana", phone=PHONE, email="ana@example.com", notify_by_email=True)
    services.notify_party(ana.pk, staff_user)
    send_now()
    assert texts() == []
    assert [m.subject for m in mail.outbox] == ["Trattoria Verde: You're in the queue", "Trattoria Verde: Head over now"]
    assert mail.outbox[1].to == ["ana@example.com"] and ana.public_token in mail.outbox[1].body


def test_choosing_texts_needs_a_phone_number_that_can_be_texted(join):
    with pytest.raises(services.InvalidJoin) as refused:
        join("Bo", notify_by_sms=True)
    assert "phone number to text" in refused.value.errors["phone"]
    with pytest.raises(services.InvalidJoin) as refused:
        join("Bo", phone="555-0100", notify_by_sms=True)
    assert "doesn't look like a phone number" in refused.value.errors["phone"]


def test_a_change_that_is_rolled_back_sends_nothing(texting, texts, send_now, staff_user):
    priya = texting("Priya")
    send_now()

    class Oops(Exception):
        pass

    with pytest.raises(Oops):
        with transaction.atomic():
            services.notify_party(priya.pk, staff_user)
            assert Message.objects.filter(order=priya, kind="head_over").exists()  # written...
            raise Oops  # ...and the change that caused it fails after it

    send_now()
    assert [t["kind"] for t in texts()] == ["joined"]
    assert not Message.objects.filter(order=priya, kind="head_over").exists()
    assert Order.objects.get(pk=priya.pk).status == "IN_QUEUE"


def test_a_message_that_failed_to_be_written_fails_the_change_it_belongs_to(texting, monkeypatch, staff_user):
    priya = texting("Priya")
    from messaging import outbox

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(outbox.texts, "write", broken)
    with pytest.raises(RuntimeError):
        services.notify_party(priya.pk, staff_user)
    assert Order.objects.get(pk=priya.pk).status == "IN_QUEUE"  # not told, so not texted


def test_the_diner_changes_how_to_be_told_on_their_page_and_the_next_message_follows(
    client, join, texts, send_now, staff_user
):
    ana = join("Ana")
    response = client.post(
        f"/q/{ana.public_token}/contact/", {"phone": "(415) 555-0134", "notify_by_sms": "on"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "texts" in response.content.decode()
    services.notify_party(ana.pk, staff_user)
    send_now()
    assert [(t["kind"], t["to"]) for t in texts()] == [("head_over", PHONE)]
    client.post(f"/q/{ana.public_token}/contact/", {"phone": PHONE})  # texts off again
    assert Order.objects.get(pk=ana.pk).notify_channels == []


def test_a_number_that_replied_stop_is_never_texted(texting, texts, send_now, staff_user, frozen_clock):
    OptOut.objects.create(phone=PHONE, keyword="STOP", at=frozen_clock())
    priya = texting("Priya")
    services.notify_party(priya.pk, staff_user)
    send_now()
    assert texts() == []
    assert {m.state for m in messages_of(priya)} == {State.SUPPRESSED}
    assert messages_of(priya)[0].error == "the number replied STOP"


def test_a_party_gets_at_most_a_handful_of_texts_in_an_evening(texting, texts, send_now, settings, staff_user):
    settings.MESSAGING_TEXTS_PER_PARTY = 3
    priya = texting("Priya")
    for note in ("one", "two", "three"):
        from messaging import outbox

        outbox.host_note(Order.objects.get(pk=priya.pk), f"Note {note}", staff_user)
    send_now()
    assert len(texts()) == 3  # joined + two notes
    assert Message.objects.filter(order=priya, state=State.SUPPRESSED).count() == 1


def test_a_restaurant_over_its_rate_waits_instead_of_sending_thousands(texting, texts, send_now, settings):
    settings.MESSAGING_RESTAURANT_RATE = "2/h"
    for n in range(4):
        texting(f"Party {n}", phone=f"+1415555{n:04d}")
    send_now()
    assert len(texts()) == 2
    waiting = Message.objects.filter(state=State.QUEUED)
    assert waiting.count() == 2 and "over the restaurant's limit" in waiting.first().error


class Flaky:
    """An SMS backend that fails the first `failures` sends (a provider having a bad minute)."""

    failures = 0
    permanent = False
    calls = 0

    def send(self, message):
        Flaky.calls += 1
        if Flaky.calls <= Flaky.failures:
            raise SendError("provider busy", permanent=Flaky.permanent, code="30006" if Flaky.permanent else "")
        return f"flaky-{message.pk}"

    def lookup(self, message):
        return None


@pytest.fixture
def flaky(settings):
    settings.SMS_BACKEND = "tests.messaging.test_outbox.Flaky"
    Flaky.calls = 0
    return Flaky


def test_a_failed_send_is_retried_with_growing_waits_until_it_goes(flaky, texting, frozen_clock, settings):
    settings.MESSAGING_RETRY_SECONDS = 10
    flaky.failures = 2
    priya = texting("Priya")
    waits = []
    for _ in range(3):
        worker.send_due("w")
        message = Message.objects.get(order=priya)
        if message.state == State.SENT:
            break
        waits.append((message.next_attempt_at - frozen_clock()).total_seconds())
        frozen_clock.advance(timedelta(seconds=waits[-1]))
    assert waits == [10, 20]
    assert (message.state, message.attempts, message.provider_id) == (State.SENT, 3, f"flaky-{message.pk}")


def test_a_text_that_cannot_be_delivered_goes_to_the_diners_other_channel(flaky, join, send_now, settings):
    flaky.failures, flaky.permanent = 99, True
    ana = join("Ana", phone=PHONE, email="ana@example.com", notify_by_sms=True, notify_by_email=True)
    send_now()
    text = Message.objects.get(order=ana, channel="sms", kind="joined")
    assert text.state == State.FAILED and text.attempts == 1 and text.error_code == "30006"
    assert Message.objects.get(order=ana, channel="email", kind="joined").state == State.SENT


def test_a_getting_close_text_still_waiting_when_the_party_is_called_is_not_sent(texting, texts, send_now, staff_user):
    from messaging import outbox

    priya = texting("Priya")
    send_now()
    outbox.enqueue(Order.objects.get(pk=priya.pk), "getting_close", minutes=12)
    services.notify_party(priya.pk, staff_user)
    send_now()
    assert [t["kind"] for t in texts()] == ["joined", "head_over"]
    assert Message.objects.get(order=priya, kind="getting_close").state == State.SUPPRESSED
