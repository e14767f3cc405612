"""Texts: to the log (console), to a file (one JSON object per line: what the tests and the
demo read), or through Twilio's API (the official twilio package)."""

import fcntl
import json
import logging
import os
from datetime import timedelta

from django.conf import settings

from . import UNKNOWN, SendError

logger = logging.getLogger("messaging.sms")


class ConsoleBackend:
    """Logs each text (the default: nothing leaves the machine)."""

    def send(self, message):
        logger.info("Text to %s (%s, %s): %s", message.to, message.kind, message.order.order_code, message.body)
        return f"console-{message.pk}"

    def lookup(self, message):
        return UNKNOWN  # a log line twice harms nobody


class FileBackend:
    """Appends one JSON object per line to SMS_FILE_PATH: to, body, kind, order_code, and
    the message's id, which is how a worker restarted after dying mid-send finds out that
    the line was written."""

    def __init__(self, path=None):
        self.path = path or settings.SMS_FILE_PATH

    def send(self, message):
        line = json.dumps(
            {
                "id": message.pk,
                "to": message.to,
                "body": message.body,
                "kind": message.kind,
                "order_code": message.order.order_code,
            }
        )
        try:
            with open(self.path, "a", encoding="utf-8") as out:
                fcntl.flock(out, fcntl.LOCK_EX)  # two workers never interleave their lines
                out.write(line + "\n")
                out.flush()
                os.fsync(out.fileno())
        except OSError as error:
            raise SendError(f"Could not write to {self.path}: {error}") from error
        return f"file-{message.pk}"

    def lookup(self, message):
        try:
            with open(self.path, encoding="utf-8") as lines:
                for line in lines:
                    try:
                        if json.loads(line).get("id") == message.pk:
                            return f"file-{message.pk}"
                    except ValueError:
                        continue
        except FileNotFoundError:
            return None
        return None


# Twilio's error codes that no retry can fix (https://www.twilio.com/docs/api/errors).
PERMANENT_TWILIO_ERRORS = {
    21211: "not a valid phone number",
    21408: "texts to this country are not enabled",
    21610: "the number replied STOP",
    21612: "this number cannot be texted from ours",
    21614: "not a mobile number: is it a landline?",
    30003: "the phone is unreachable or switched off",
    30004: "the number blocks texts",
    30005: "unknown number: is it typed right?",
    30006: "is it a landline? The carrier cannot deliver texts to it",
    30007: "the carrier filtered it as spam",
}


def twilio_error_text(code):
    try:
        return PERMANENT_TWILIO_ERRORS.get(int(code), f"error {code}")
    except (TypeError, ValueError):
        return "delivery failed"


class TwilioBackend:
    """Twilio's Programmable Messaging. TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, and
    TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM (the number texts come from). Each text
    asks for delivery status callbacks at PUBLIC_BASE_URL/sms/status/."""

    TIMEOUT_SECONDS = 10

    def __init__(self):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
            raise SendError("SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.")
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=self.TIMEOUT_SECONDS),
        )

    def send(self, message):
        from twilio.base.exceptions import TwilioException, TwilioRestException

        params = {
            "to": message.to,
            "body": message.body,
            "status_callback": f"{settings.PUBLIC_BASE_URL}/sms/status/?m={message.pk}",
        }
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            params["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            params["from_"] = settings.TWILIO_FROM
        try:
            sent = self.client.messages.create(**params)
        except TwilioRestException as error:
            permanent = error.code in PERMANENT_TWILIO_ERRORS or 400 <= (error.status or 0) < 500 and error.status != 429
            raise SendError(
                f"Twilio refused the text: {twilio_error_text(error.code) if error.code else error.msg}",
                permanent=permanent,
                code=error.code or error.status,
            ) from error
        except (TwilioException, OSError) as error:  # the connection, a timeout
            raise SendError(f"Could not reach Twilio: {error}") from error
        return sent.sid

    def lookup(self, message):
        """Twilio has no idempotency key for new messages, but it lists what was sent: a
        text to the same number with the same body, created since the worker claimed it,
        is this one."""
        from twilio.base.exceptions import TwilioException

        since = (message.claimed_until or message.updated_at) - timedelta(hours=1)
        try:
            recent = self.client.messages.list(to=message.to, limit=20)
        except (TwilioException, OSError) as error:
            raise SendError(f"Could not ask Twilio what was sent: {error}") from error
        for sent in recent:
            if sent.body == message.body and (sent.date_created is None or sent.date_created >= since):
                return sent.sid
        return None
