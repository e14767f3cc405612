"""Writing the outbox: every message is a row written in the same transaction as the change
that causes it (orders' domain events, sent inside its transactions), so a change that is
rolled back sends nothing and one that commits cannot lose its message. The worker
(messaging.worker) sends the rows.

Only the channels the diner chose get a row; a text to a number that replied STOP, or past
the per-party limit, is written as "not sent" with the reason, so the host and the admin see
why nothing went out."""

import logging
import re

from django.conf import settings
from django.db import IntegrityError, transaction

from orders import clock

from . import texts
from .backends.push import push_enabled
from .models import Channel, Kind, Message, ONCE_KINDS, OptOut, State

logger = logging.getLogger("messaging")


def _address(order, channel):
    if channel == Channel.SMS:
        return order.phone
    if channel == Channel.EMAIL:
        return order.email
    return ""


def _why_not(order, channel, to):
    """Why a message on `channel` must not go out at all, or ""."""
    if channel == Channel.SMS:
        if not to:
            return "no phone number"
        if OptOut.objects.filter(phone=to).exists():
            return "the number replied STOP"
        sent = Message.objects.filter(order=order, channel=Channel.SMS).exclude(state=State.SUPPRESSED).count()
        if sent >= settings.MESSAGING_TEXTS_PER_PARTY:
            return f"already {sent} texts to this party (the limit)"
    elif channel == Channel.EMAIL and not to:
        return "no email address"
    elif channel == Channel.PUSH and not push_enabled():
        return "web push is not set up (VAPID keys)"
    return ""


def enqueue(order, kind, *, channels=None, now=None, **context):
    """Write the rows for one message to one party, on `channels` (default: every channel
    the diner chose). Call inside the transaction of the change that causes it. A kind that
    goes once per party and channel is skipped where it already went. Returns the rows."""
    now = now or clock.now()
    channels = order.notify_channels if channels is None else channels
    rows = []
    for channel in channels:
        if kind in ONCE_KINDS and Message.objects.filter(order=order, kind=kind, channel=channel).exists():
            continue
        written = texts.write(channel, kind, order, **context)
        to = _address(order, channel)
        reason = _why_not(order, channel, to)
        message = Message(
            restaurant_id=order.restaurant_id,
            order=order,
            kind=kind,
            channel=channel,
            to=to,
            subject=written.subject,
            body=written.body,
            context=context,
            state=State.SUPPRESSED if reason else State.QUEUED,
            error=reason,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        try:
            with transaction.atomic():  # a savepoint: a duplicate must not spoil the change
                message.save()
        except IntegrityError:
            continue  # written meanwhile by someone else (the unique constraint)
        rows.append(message)
    return rows


# -- orders' domain events (sent inside its transactions)


def on_party_joined(sender, order, now, **kwargs):
    enqueue(order, Kind.JOINED, now=now)


def on_party_notified(sender, order, now, **kwargs):
    enqueue(order, Kind.HEAD_OVER, now=now)


def on_party_getting_close(sender, order, now, minutes=None, **kwargs):
    enqueue(order, Kind.GETTING_CLOSE, now=now, minutes=minutes)


def on_party_wait_changed(sender, order, now, before=None, after=None, **kwargs):
    enqueue(order, Kind.WAIT_CHANGED, now=now, before=before, after=after)


def on_party_ended(sender, order, now, reason, **kwargs):
    enqueue(order, reason, now=now)


def on_party_answered(sender, order, now, answer, minutes=None, via="page", **kwargs):
    if via == "sms":  # a text answered by text; a button on the page answers itself
        enqueue(order, Kind.CONFIRMED if answer == "on_my_way" else Kind.LATE, channels=[Channel.SMS], now=now)


def fallback(message, now=None):
    """A message that could not reach the diner on its channel goes on their other chosen
    channels (those it has not gone on already)."""
    from .models import FALLBACK_KINDS

    if message.kind not in FALLBACK_KINDS:
        return []
    order = message.order
    others = [c for c in order.notify_channels if c != message.channel]
    if message.kind not in ONCE_KINDS:
        # Repeatable kinds: only channels this very message has not been tried on.
        others = [
            c for c in others
            if not Message.objects.filter(order=order, kind=message.kind, channel=c, created_at__gte=message.created_at).exists()
        ]
    return enqueue(order, message.kind, channels=others, now=now, **(message.context or {}))


def host_note(order, note, actor, now=None):
    """A short message the host typed on the host stand, on every channel the diner chose."""
    note = " ".join(note.split())
    return enqueue(order, Kind.HOST, now=now, note=note, by=getattr(actor, "username", ""))


RATE = re.compile(r"^(?P<count>[0-9]+)/(?P<multi>[0-9]*)(?P<period>[smhd])$")
PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def restaurant_rate():
    """(how many, per seconds) from MESSAGING_RESTAURANT_RATE ("300/h")."""
    match = RATE.match(settings.MESSAGING_RESTAURANT_RATE)
    return int(match["count"]), int(match["multi"] or 1) * PERIOD_SECONDS[match["period"]]
