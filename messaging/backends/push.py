"""Web push (RFC 8030, with VAPID, RFC 8292, and the payload encrypted for the browser,
RFC 8291) through pywebpush. VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY come from the
environment (manage.py make_vapid_keys makes a pair), VAPID_SUBJECT says who sends."""

import json

from django.conf import settings

from . import SendError

# How long a push service keeps a notification for a phone that is off: after that "head
# over now" is no longer news.
TTL_SECONDS = 30 * 60


def push_enabled():
    return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY)


def payload(message):
    from ..texts import status_link

    return json.dumps(
        {
            "title": message.subject,
            "body": message.body,
            "url": status_link(message.order),
            # One notification per party on the phone: a repeat (a retried send) replaces it.
            "tag": f"readytable-{message.order.order_code}-{message.kind}",
        }
    )


class WebPushBackend:
    TIMEOUT_SECONDS = 10

    def send(self, message):
        from pywebpush import WebPushException, webpush

        if not push_enabled():
            raise SendError("Web push is off: VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY are not set.", permanent=True)
        every = list(message.order.push_subscriptions.all())
        subscriptions = [s for s in every if s.active]
        if not subscriptions:
            if every:
                raise SendError("The browser's subscription has expired.", permanent=True, code="gone")
            # A diner who chose "this browser" allows notifications on their page a moment
            # after joining: one retry waits for that, then the other channels take over.
            raise SendError(
                "The browser has not allowed notifications.", permanent=message.attempts >= 2, code="no-subscription"
            )
        data = payload(message)
        sent, gone, errors = [], [], []
        for subscription in subscriptions:
            try:
                response = webpush(
                    subscription.info(),
                    data=data,
                    vapid_private_key=settings.VAPID_PRIVATE_KEY,
                    vapid_claims={"sub": settings.VAPID_SUBJECT},
                    ttl=TTL_SECONDS,
                    timeout=self.TIMEOUT_SECONDS,
                    # A push service keeps one pending message per topic: a retried send
                    # replaces the first instead of arriving twice.
                    headers={"Topic": f"rt{message.pk}", "Urgency": "high"},
                )
                sent.append(response.headers.get("Location", "") or f"push-{message.pk}")
            except WebPushException as error:
                status = getattr(error.response, "status_code", None)
                if status in (404, 410):
                    gone.append(subscription)
                else:
                    errors.append(f"{status or ''} {error.message[:120]}".strip())
            except OSError as error:
                errors.append(str(error)[:120])
        for subscription in gone:
            subscription.active = False
            subscription.save(update_fields=["active"])
        if sent:
            return sent[0][-64:]
        if gone and not errors:
            raise SendError("The browser's subscription has expired.", permanent=True, code="gone")
        raise SendError(f"The push service refused: {'; '.join(errors)}")

    def lookup(self, message):
        from . import UNKNOWN

        return UNKNOWN  # a repeat is harmless: same Topic and same notification tag
