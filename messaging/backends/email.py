"""Email through Django's email framework (EMAIL_BACKEND: the console by default, SMTP with
the EMAIL_* settings)."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage

from . import UNKNOWN, SendError


def message_id(message):
    # The same Message-ID for every try: mail systems and clients drop a repeat of it.
    domain = settings.PUBLIC_BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "readytable"
    return f"<readytable-message-{message.pk}@{domain}>"


class EmailBackend:
    def send(self, message):
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"Message-ID": message_id(message)},
        )
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as error:
            raise SendError(f"The mail server refused the address: {error}", permanent=True) from error
        except (smtplib.SMTPException, OSError) as error:
            raise SendError(f"Could not send the email: {error}") from error
        return message_id(message)[1:-1][:64]

    def lookup(self, message):
        return UNKNOWN  # resent with the same Message-ID, which mail systems de-duplicate
