"""Twilio's webhooks, signed with the real RequestValidator over the public URL: a diner's
replies do what they say; a forged or unsigned request gets 403 and changes nothing; delivery
status callbacks update the message and the host stand."""

import pytest

from messaging.models import InboundText, Message, OptOut, Reading, State
from orders import services
from orders.models import Order, OrderStatus

from .conftest import PHONE, sign

pytestmark = pytest.mark.django_db

_sid = iter(range(10**6))


def reply(twilio_post, body, phone=PHONE, **extra):
    params = {"MessageSid": f"SM{next(_sid):032d}", "From": phone, "To": "+15005550006", "Body": body, **extra}
    return twilio_post("/sms/inbound/", params)


@pytest.fixture
def called(texting, staff_user, send_now):
    priya = texting("Priya")
    services.notify_party(priya.pk, staff_user)
    send_now()
    return Order.objects.get(pk=priya.pk)


@pytest.mark.parametrize("answer", ["1", "yes", "On my way!", " YES "])
def test_replying_1_yes_or_on_my_way_confirms(twilio_post, called, answer, send_now, texts):
    response = reply(twilio_post, answer)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    assert Order.objects.get(pk=called.pk).confirmed_at is not None
    send_now()
    assert texts()[-1]["kind"] == "confirmed"


@pytest.mark.parametrize("answer", ["9", "cancel"])
def test_replying_9_or_cancel_leaves_the_queue_and_the_text_says_so(twilio_post, called, answer, send_now, texts):
    reply(twilio_post, answer)
    assert Order.objects.get(pk=called.pk).status == OrderStatus.CANCELLED
    send_now()
    assert texts()[-1]["kind"] == "left" and "you left the queue" in texts()[-1]["body"]


@pytest.mark.parametrize("answer", ["late 10", "10", "10 min late"])
def test_replying_late_10_moves_the_arrival_and_the_kitchen_follows(twilio_post, called, answer, frozen_clock):
    from datetime import timedelta

    from orders.selectors import kitchen_tickets

    before = called.target_arrival_time
    fire_before = kitchen_tickets(called.restaurant)[0].fire_at
    reply(twilio_post, answer)
    after = Order.objects.get(pk=called.pk)
    assert after.target_arrival_time == before + timedelta(minutes=10)
    assert kitchen_tickets(called.restaurant)[0].fire_at == fire_before + timedelta(minutes=10)
    assert after.confirmed_at is not None


def test_stop_is_honoured_and_recorded_and_start_undoes_it(twilio_post, called, send_now, texts, staff_user):
    reply(twilio_post, "STOP")
    assert OptOut.objects.filter(phone=PHONE).exists()
    services.seat_party(called.pk, staff_user)
    ana_texts = len(texts())
    send_now()
    assert len(texts()) == ana_texts
    reply(twilio_post, "START")
    assert not OptOut.objects.exists()
    assert [i.reading for i in InboundText.objects.order_by("id")] == [Reading.STOP, Reading.START]


def test_twilio_opting_a_number_out_on_cancel_is_recorded_too(twilio_post, called):
    reply(twilio_post, "CANCEL", OptOutType="STOP")
    assert Order.objects.get(pk=called.pk).status == OrderStatus.CANCELLED
    assert OptOut.objects.filter(phone=PHONE).exists()


def test_help_is_answered_with_how_to_reply(twilio_post, called, send_now, texts):
    reply(twilio_post, "help")
    send_now()
    assert "reply 1 on my way, 9 cancel" in texts()[-1]["body"]


def test_anything_else_is_shown_to_the_host_on_the_partys_row(twilio_post, called, client, staff_user):
    reply(twilio_post, "Parking is a nightmare, 5 more minutes?")
    client.force_login(staff_user)
    page = client.get(f"/restaurant/{called.restaurant.slug}/host/").content.decode()
    assert 'Texted: "Parking is a nightmare, 5 more minutes?' in page


def test_a_forged_signature_gets_403_and_changes_nothing(twilio_post, called):
    params = {"MessageSid": "SMforged", "From": PHONE, "To": "+15005550006", "Body": "9"}
    forged = sign("https://queue.example.com/sms/inbound/", params, token="not-the-auth-token")
    assert twilio_post("/sms/inbound/", params, signature=forged).status_code == 403
    tampered = sign("https://queue.example.com/sms/inbound/", {**params, "Body": "1"})
    assert twilio_post("/sms/inbound/", params, signature=tampered).status_code == 403
    assert twilio_post("/sms/inbound/", params, signature="").status_code == 403
    assert Order.objects.get(pk=called.pk).status == OrderStatus.AWAITING_ARRIVAL
    assert not InboundText.objects.exists()


def test_the_signature_is_checked_over_the_public_url_behind_a_proxy(client, called, settings):
    """Twilio signed https://queue.example.com/...; the app, behind a proxy, sees
    http://testserver/...: valid against PUBLIC_BASE_URL, not against what it sees."""
    params = {"MessageSid": "SMproxy", "From": PHONE, "To": "+15005550006", "Body": "1"}
    signed_as_seen = sign("http://testserver/sms/inbound/", params)
    assert client.post("/sms/inbound/", params, HTTP_X_TWILIO_SIGNATURE=signed_as_seen).status_code == 403
    settings.PUBLIC_BASE_URL_FROM_ENV = False  # no proxy: the URL the request came to
    assert client.post("/sms/inbound/", params, HTTP_X_TWILIO_SIGNATURE=signed_as_seen).status_code == 200


def test_twilio_retrying_a_webhook_does_not_act_twice(twilio_post, called):
    params = {"MessageSid": "SMtwice", "From": PHONE, "To": "+1", "Body": "late 10"}
    twilio_post("/sms/inbound/", params)
    target = Order.objects.get(pk=called.pk).target_arrival_time
    twilio_post("/sms/inbound/", {**params, "Body": "late 10"})
    assert InboundText.objects.count() == 1
    assert Order.objects.get(pk=called.pk).target_arrival_time == target


def test_a_delivery_failure_callback_marks_the_text_failed_and_the_host_sees_why(
    twilio_post, called, client, staff_user
):
    text = Message.objects.get(order=called, kind="head_over")
    response = twilio_post(
        f"/sms/status/?m={text.pk}",
        {"MessageSid": "SMabc", "MessageStatus": "undelivered", "ErrorCode": "30006", "To": PHONE},
    )
    assert response.status_code == 204
    text.refresh_from_db()
    assert (text.state, text.error_code, text.provider_id) == (State.FAILED, "30006", "SMabc")
    client.force_login(staff_user)
    page = client.get(f"/restaurant/{called.restaurant.slug}/host/").content.decode()
    assert "Head over now: text failed: is it a landline?" in page


def test_a_delivered_callback_marks_the_text_delivered(twilio_post, called):
    text = Message.objects.get(order=called, kind="head_over")
    twilio_post(f"/sms/status/?m={text.pk}", {"MessageSid": "SMdone", "MessageStatus": "delivered"})
    assert Message.objects.get(pk=text.pk).state == State.DELIVERED
    forged = {"MessageSid": "SMdone", "MessageStatus": "failed", "ErrorCode": "30006"}
    assert twilio_post(f"/sms/status/?m={text.pk}", forged, signature="bad").status_code == 403
    assert Message.objects.get(pk=text.pk).state == State.DELIVERED


def test_a_text_from_a_number_with_no_party_is_recorded_and_does_nothing(twilio_post, db):
    reply(twilio_post, "1", phone="+14155550100")
    assert InboundText.objects.get().reading == Reading.NO_PARTY
