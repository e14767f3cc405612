"""Start-up checks of the messaging settings (`manage.py check --deploy` shows them)."""

from django.conf import settings
from django.core.checks import Warning, register

from . import texts


@register(deploy=True)
def public_base_url(app_configs, **kwargs):
    problems = []
    if not settings.PUBLIC_BASE_URL_FROM_ENV:
        problems.append(
            Warning(
                "PUBLIC_BASE_URL is not set: the links in texts, pushes and emails point at "
                f"{settings.PUBLIC_BASE_URL}.",
                hint="Set PUBLIC_BASE_URL to the address diners reach the app at, e.g. https://queue.example.com.",
                id="messaging.W001",
            )
        )
    if len(settings.PUBLIC_BASE_URL) > texts.REALISTIC_BASE_URL_LENGTH:
        problems.append(
            Warning(
                f"PUBLIC_BASE_URL is {len(settings.PUBLIC_BASE_URL)} characters: texts will shorten "
                f"restaurant names of fewer than {texts.REALISTIC_NAME_LENGTH} characters to fit 160.",
                id="messaging.W002",
            )
        )
    return problems


@register()
def sms_backend(app_configs, **kwargs):
    if settings.SMS_BACKEND == "twilio" and not (
        settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN
        and (settings.TWILIO_FROM or settings.TWILIO_MESSAGING_SERVICE_SID)
    ):
        return [
            Warning(
                "SMS_BACKEND=twilio without TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
                "TWILIO_FROM (or TWILIO_MESSAGING_SERVICE_SID): texts will fail.",
                id="messaging.W003",
            )
        ]
    return []
