"""The real provider libraries against local stand-ins (the only stand-ins: the real APIs
cannot be reached from here). The twilio package's request to its REST API; pywebpush's
encrypted push, decrypted by an endpoint that holds the subscription's private key as a
browser does (http_ece), with its VAPID signature checked."""

import base64
import json
import os

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core.management import call_command

from messaging.backends import SendError
from messaging.backends.sms import TwilioBackend
from messaging.models import Message, PushSubscription, State
from orders import services

from .conftest import PHONE
from .stand_ins import Recorder, form, twilio_answer

pytestmark = pytest.mark.django_db


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def twilio_api():
    server = Recorder(twilio_answer)
    yield server
    server.stop()


@pytest.fixture
def twilio(settings, twilio_api):
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    settings.TWILIO_FROM = "+15005550006"
    backend = TwilioBackend()
    backend.client.api.base_url = twilio_api.url  # Twilio's API, here
    return backend


def test_the_twilio_backend_sends_what_twilios_api_expects(twilio, twilio_api, texting):
    priya = texting("Priya")
    message = Message.objects.get(order=priya)
    sid = twilio.send(message)
    [request] = twilio_api.requests
    assert request["method"] == "POST"
    assert request["path"] == f"/2010-04-01/Accounts/AC{'1' * 32}/Messages.json"
    auth = base64.b64decode(request["headers"]["authorization"].split()[1]).decode()
    assert auth == f"AC{'1' * 32}:test-auth-token-0123456789abcdef"
    params = form(request)
    assert params["To"] == PHONE and params["From"] == "+15005550006"
    assert params["Body"] == message.body
    assert params["StatusCallback"] == f"https://queue.example.com/sms/status/?m={message.pk}"
    assert sid.startswith("SM")


def test_a_messaging_service_sends_instead_of_a_number_when_configured(twilio, twilio_api, texting, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "2" * 32
    twilio.send(Message.objects.get(order=texting("Priya")))
    params = form(twilio_api.requests[0])
    assert params["MessagingServiceSid"] == "MG" + "2" * 32 and "From" not in params


def test_twilio_refusing_a_landline_is_a_failure_no_retry_fixes(twilio, texting):
    ana = texting("Ana", phone="+15005550009")
    with pytest.raises(SendError) as refused:
        twilio.send(Message.objects.get(order=ana))
    assert refused.value.permanent and refused.value.code == "21614"
    assert "landline" in refused.value.message


def test_twilio_unreachable_is_worth_retrying(twilio, twilio_api, texting):
    twilio_api.stop()
    with pytest.raises(SendError) as refused:
        twilio.send(Message.objects.get(order=texting("Priya")))
    assert not refused.value.permanent


# -- Web push


class Browser:
    """What a browser holds for a push subscription: an ECDH P-256 key pair and a 16-byte
    auth secret; it shares the public key and the secret, keeps the private key."""

    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def keys(self):
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": b64url(public), "auth": b64url(self.auth)}

    def decrypt(self, body):
        return json.loads(http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"))


@pytest.fixture
def vapid(settings):
    """A key pair from the app's own command, in the settings as the environment gives it."""
    from io import StringIO

    out = StringIO()
    call_command("make_vapid_keys", stdout=out)
    pair = dict(line.split("=", 1) for line in out.getvalue().split())
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = pair["VAPID_PUBLIC_KEY"], pair["VAPID_PRIVATE_KEY"]
    settings.VAPID_SUBJECT = "mailto:owner@example.com"
    return pair


@pytest.fixture
def push_service():
    server = Recorder(lambda request: (201, {"Location": "/m/1"}, b""))
    yield server
    server.stop()


def check_vapid(request, public_key, audience):
    """The Authorization header: a JWT signed with the VAPID private key (ES256)."""
    scheme, _, rest = request["headers"]["authorization"].partition(" ")
    assert scheme == "vapid"
    params = dict(part.strip().split("=", 1) for part in rest.split(","))
    assert params["k"] == public_key
    header, claims, signature = params["t"].split(".")
    assert json.loads(unb64url(claims))["aud"] == audience
    raw = unb64url(signature)
    verifier = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    verifier.verify(
        encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
        f"{header}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )  # raises if forged


def test_web_push_end_to_end_the_browser_decrypts_head_over_now(
    client, vapid, push_service, join, send_now, staff_user
):
    browser = Browser()
    ana = join("Ana", notify_by_push=True)
    subscription = {"endpoint": f"{push_service.url}/push/abc", "keys": browser.keys()}
    response = client.post(f"/q/{ana.public_token}/push/", json.dumps(subscription), content_type="application/json")
    assert response.status_code == 200
    services.notify_party(ana.pk, staff_user)
    send_now()
    pushes = [r for r in push_service.requests if r["method"] == "POST"]
    assert len(pushes) == 2  # "you're in the queue" (joined) and "head over now"
    last = pushes[-1]
    assert last["path"] == "/push/abc" and last["headers"]["content-encoding"] == "aes128gcm"
    assert last["headers"]["urgency"] == "high" and int(last["headers"]["ttl"]) > 0
    check_vapid(last, vapid["VAPID_PUBLIC_KEY"], push_service.url)
    shown = browser.decrypt(last["body"])
    assert shown["title"] == "Trattoria Verde: Head over now"
    assert "be there by" in shown["body"] and ana.order_code in shown["body"]
    assert shown["url"] == f"https://queue.example.com/q/{ana.public_token}"
    assert Message.objects.get(order=ana, kind="head_over").state == State.SENT


def test_a_subscription_the_push_service_says_is_gone_is_dropped_and_the_other_channel_used(
    client, vapid, join, send_now, staff_user
):
    gone = Recorder(lambda request: (410, {}, b"gone"))
    try:
        ana = join("Ana", notify_by_push=True, email="ana@example.com", notify_by_email=True)
        subscription = {"endpoint": f"{gone.url}/push/old", "keys": Browser().keys()}
        client.post(f"/q/{ana.public_token}/push/", json.dumps(subscription), content_type="application/json")
        services.notify_party(ana.pk, staff_user)
        send_now()
    finally:
        gone.stop()
    assert not PushSubscription.objects.get().active
    push = Message.objects.get(order=ana, kind="head_over", channel="push")
    assert push.state == State.FAILED and "expired" in push.error
    assert Message.objects.get(order=ana, kind="head_over", channel="email").state == State.SENT


def test_a_page_posting_something_that_is_no_subscription_is_refused(client, vapid, join):
    ana = join("Ana")
    for junk in ("not json", json.dumps({"endpoint": "javascript:alert(1)", "keys": {"p256dh": "x", "auth": "y"}}), json.dumps([1])):
        assert client.post(f"/q/{ana.public_token}/push/", junk, content_type="application/json").status_code == 400
    assert not PushSubscription.objects.exists()
