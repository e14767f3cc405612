"""Messages in real Chromium, against a real server: a diner joins with a phone number and
is texted (the file backend) when their turn is getting close and when to head over, replies
"1" through Twilio's signed webhook, and the host stand shows them Confirmed without a
reload; and a diner's browser registers the service worker, subscribes to web push and gets
"head over now" encrypted for it.

The outbox worker runs in the test process (messaging.worker, as manage.py send_messages
runs it), on the same database as the server."""

import base64
import json
import re
import urllib.request
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import expect
from twilio.request_validator import RequestValidator

from messaging import worker
from messaging.models import Message, PushSubscription, State
from orders import services
from orders.models import Order

from ..messaging.conftest import sent_texts
from ..messaging.stand_ins import Recorder
from ..messaging.test_providers import unb64url
from .conftest import elsewhere, free_port
from .test_production_pages import RECORD_VIOLATIONS

pytestmark = pytest.mark.django_db(transaction=True)

AUTH_TOKEN = "e2e-auth-token-fedcba9876543210"


@pytest.fixture
def vapid_pair():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("make_vapid_keys", stdout=out)
    return dict(line.split("=", 1) for line in out.getvalue().split())


@pytest.fixture
def messaging_server(start_server, settings, tmp_path, vapid_pair):
    """A server (and this process's worker) with texts to a file, Twilio's auth token, web
    push keys, and PUBLIC_BASE_URL naming the server itself."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    texts_file = tmp_path / "texts.jsonl"
    env = dict(
        PUBLIC_BASE_URL=base, SMS_BACKEND="file", SMS_FILE_PATH=str(texts_file),
        TWILIO_AUTH_TOKEN=AUTH_TOKEN, **vapid_pair,
        # The worker here runs in the test process: without Redis its changes reach the
        # server's screens through the version check, as a worker process's do under
        # `make run` on the embedded default.
        LIVE_QUEUE_RESYNC_SECONDS="1",
    )
    settings.PUBLIC_BASE_URL, settings.PUBLIC_BASE_URL_FROM_ENV = base, True
    settings.SMS_BACKEND, settings.SMS_FILE_PATH = "file", str(texts_file)
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = vapid_pair["VAPID_PUBLIC_KEY"], vapid_pair["VAPID_PRIVATE_KEY"]
    server = start_server(port=port, **env)
    server.texts = lambda: sent_texts(texts_file)
    return server


def send_due():
    elsewhere(worker.send_due, "e2e-worker")


def text_back(server, phone, body):
    """Twilio posting a diner's reply to the server's webhook, signed with the auth token."""
    url = f"{server.url}/sms/inbound/"
    params = {"MessageSid": f"SM{abs(hash(body)):032d}", "From": phone, "To": "+15005550006", "Body": body}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    request = urllib.request.Request(url, data=urlencode(params).encode(), headers={"X-Twilio-Signature": signature})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status


def test_a_diner_texted_getting_close_and_head_over_replies_1_and_the_host_sees_confirmed(
    messaging_server, open_page, restaurant, menu, join, staff_user, staff_session
):
    server = messaging_server
    # Every table taken: the diner will wait for a sitting to end.
    seated = []
    for n in range(4):
        party = elsewhere(join, f"Seated {n}")
        elsewhere(services.notify_party, party.pk, staff_user)
        elsewhere(services.seat_party, party.pk, staff_user)
        seated.append(party)

    diner = open_page(f"{server.url}/r/{restaurant.slug}/", phone=True)
    diner.get_by_label("Your name").fill("Priya")
    diner.get_by_label("Party size").fill("2")
    diner.get_by_label("Phone (optional)").fill("(415) 555-0134")
    diner.get_by_label("Text me at this number").check()
    diner.get_by_label("Quantity of Margherita pizza").fill("1")
    diner.get_by_role("button", name="Join the queue").click()
    expect(diner).to_have_url(re.compile(r"/q/[^/]+/$"))
    priya = Order.objects.get(customer_name="Priya")
    assert priya.phone == "+14155550134" and priya.notify_by_sms
    send_due()
    assert [t["kind"] for t in server.texts()] == ["joined"]

    # A table is about to free: the queue clock finds her turn getting close.
    elsewhere(services.complete_party, seated[0].pk, staff_user)
    elsewhere(services.run_timing_rules, restaurant.pk)
    send_due()
    close = server.texts()[-1]
    assert close["kind"] == "getting_close" and close["to"] == "+14155550134"
    assert f"{server.url}/q/{priya.public_token}" in close["body"]

    host = open_page(f"{server.url}/restaurant/{restaurant.slug}/host/", session=staff_session(staff_user))
    expect(host.locator("#live-indicator")).to_have_attribute("data-state", "live")
    host.get_by_role("button", name="Notify Priya").click()
    expect(host.locator(f"#heading-{priya.pk}")).to_contain_text("not confirmed yet")
    send_due()
    head_over = server.texts()[-1]
    assert head_over["kind"] == "head_over" and "head over now" in head_over["body"]
    expect(host.locator(f"#heading-{priya.pk}")).to_contain_text("Head over now: text sent")
    host.evaluate("window.__sameDocument = true")

    assert text_back(server, "+14155550134", "1") == 200

    expect(host.locator(f"#heading-{priya.pk}")).to_contain_text(re.compile(r"Confirmed \d\d:\d\d"))
    assert host.evaluate("window.__sameDocument === true")  # pushed, not reloaded
    expect(diner.get_by_test_id("confirmed")).to_contain_text("on your way")
    send_due()
    assert server.texts()[-1]["kind"] == "confirmed"


# Chromium's pushManager.subscribe() asks Google's push service (FCM) for an endpoint, which
# cannot be reached from here: headless Chromium waits for ever. This stand-in for that one
# call makes the subscription the way a browser does (an ECDH P-256 key pair and a 16-byte
# auth secret, with WebCrypto) for an endpoint on this machine, and keeps the private key
# where the test can read it, to decrypt what the push service receives. Everything else is
# the page's own code: permission, the service worker at /sw.js, the POST to the server.
SUBSCRIBE_STAND_IN = """
(() => {
  const b64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  PushManager.prototype.getSubscription = async function () { return null; };
  PushManager.prototype.subscribe = async function (options) {
    window.__applicationServerKey = b64url(options.applicationServerKey);
    const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
    const publicKey = await crypto.subtle.exportKey("raw", pair.publicKey);
    const auth = crypto.getRandomValues(new Uint8Array(16));
    window.__pushPrivateKey = (await crypto.subtle.exportKey("jwk", pair.privateKey)).d;
    const subscription = { endpoint: window.__pushEndpoint, keys: { p256dh: b64url(publicKey), auth: b64url(auth) } };
    return { toJSON: () => subscription };
  };
})();
"""


def test_the_diners_browser_registers_the_service_worker_subscribes_and_decrypts_head_over_now(
    messaging_server, browser, join, staff_user, vapid_pair
):
    server = messaging_server
    push_service = Recorder(lambda request: (201, {"Location": "/m/1"}, b""))
    try:
        ana = elsewhere(join, "Ana")
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        context.grant_permissions(["notifications"], origin=server.url)
        context.add_init_script(f"window.__pushEndpoint = {json.dumps(push_service.url + '/push/ana')};" + SUBSCRIBE_STAND_IN)
        context.add_init_script(RECORD_VIOLATIONS)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(f"{server.url}/q/{ana.public_token}/")
        manifest = page.request.get(f"{server.url}/q/{ana.public_token}/manifest.webmanifest")
        assert manifest.headers["content-type"].startswith("application/manifest+json")
        assert manifest.json()["start_url"] == f"/q/{ana.public_token}/"

        expect(page.locator("body")).to_have_attribute("data-push", "subscribed")
        registration = page.evaluate(
            "navigator.serviceWorker.getRegistration('/').then(r => r && [r.scope, (r.active || r.installing || r.waiting).scriptURL])"
        )
        assert registration == [f"{server.url}/", f"{server.url}/sw.js"]
        assert page.evaluate("window.__applicationServerKey") == vapid_pair["VAPID_PUBLIC_KEY"]
        subscription = PushSubscription.objects.get(order=ana)
        assert subscription.endpoint == f"{push_service.url}/push/ana"
        assert Order.objects.get(pk=ana.pk).notify_by_push  # allowing notifications chose the channel

        elsewhere(services.notify_party, ana.pk, staff_user)
        send_due()
        [push] = [r for r in push_service.requests if r["method"] == "POST"]
        d = int.from_bytes(unb64url(page.evaluate("window.__pushPrivateKey")), "big")
        private_key = ec.derive_private_key(d, ec.SECP256R1())
        import http_ece

        shown = json.loads(
            http_ece.decrypt(push["body"], private_key=private_key, auth_secret=base64.urlsafe_b64decode(subscription.auth + "=="), version="aes128gcm")
        )
        assert shown["title"].endswith("Head over now") and ana.order_code in shown["body"]
        assert Message.objects.get(order=ana, kind="head_over", channel="push").state == State.SENT
        # The service worker, the manifest and the subscription under the strict CSP.
        assert page.evaluate("window.__cspViolations") == []
        assert errors == []
        context.close()
    finally:
        push_service.stop()
