"""Fixtures for messaging: texts go to a file (the file backend, as the demo uses), the
worker is run by hand, and Twilio's webhooks are signed with the real RequestValidator."""

import json

import pytest
from twilio.request_validator import RequestValidator

from messaging import worker
from messaging.models import Message

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PHONE = "+14155550134"
OTHER_PHONE = "+14155550199"


@pytest.fixture(autouse=True)
def texts_to_a_file(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "texts.jsonl")
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.PUBLIC_BASE_URL = "https://queue.example.com"
    settings.PUBLIC_BASE_URL_FROM_ENV = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return tmp_path / "texts.jsonl"


def sent_texts(path):
    """The texts the file backend wrote, in order."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def texts(texts_to_a_file):
    return lambda: sent_texts(texts_to_a_file)


@pytest.fixture
def send_now():
    """Run the worker until nothing is due; returns how many rows it handled."""

    def run():
        total = 0
        while handled := worker.send_due("test-worker"):
            total += handled
        return total

    return run


@pytest.fixture
def texting(join):
    """A party that chose texts: `texting("Priya")`."""

    def make(name="Priya", phone=PHONE, **kwargs):
        return join(name, phone=phone, notify_by_sms=True, **kwargs)

    return make


def sign(url, params, token=AUTH_TOKEN):
    return RequestValidator(token).compute_signature(url, params)


@pytest.fixture
def twilio_post(client):
    """POST to a Twilio webhook as Twilio does: form-encoded, signed over the public URL."""

    def post(path, params, *, signature=None):
        url = "https://queue.example.com" + path
        return client.post(
            path, params, HTTP_X_TWILIO_SIGNATURE=signature if signature is not None else sign(url, params)
        )

    return post


def messages_of(order):
    return list(Message.objects.filter(order=order).order_by("id"))
