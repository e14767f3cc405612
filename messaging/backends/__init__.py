"""The channels' backends, chosen by settings like Django's EMAIL_BACKEND: SMS_BACKEND
(console, file, twilio, or a dotted path to a class), web push (pywebpush, VAPID keys from
the environment), email (Django's email framework, EMAIL_BACKEND).

A backend's `send(message)` returns the provider's id for the message or raises SendError
(`permanent` says whether trying again can help). `lookup(message)` answers, for a message
whose worker died while the provider was being called, whether the provider has it: its id,
None (it does not: send it), or UNKNOWN (cannot tell: the worker sends it again only where a
repeat is harmless; see messaging.worker)."""

from django.conf import settings
from django.utils.module_loading import import_string

UNKNOWN = "unknown"


class SendError(Exception):
    def __init__(self, message, *, permanent=False, code=""):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.code = str(code or "")


SMS_BACKENDS = {
    "console": "messaging.backends.sms.ConsoleBackend",
    "file": "messaging.backends.sms.FileBackend",
    "twilio": "messaging.backends.sms.TwilioBackend",
}


def sms_backend():
    name = settings.SMS_BACKEND
    return import_string(SMS_BACKENDS.get(name, name))()


def backend_for(channel):
    if channel == "sms":
        return sms_backend()
    if channel == "push":
        from .push import WebPushBackend

        return WebPushBackend()
    if channel == "email":
        from .email import EmailBackend

        return EmailBackend()
    raise ValueError(channel)
