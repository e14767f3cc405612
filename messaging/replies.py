"""What a diner's text says, and doing it.

"1", "yes", "on my way": on my way. "9", "cancel": leave the queue (the "left" text says
so). "late 10" or "10": running ten minutes late. STOP, START and HELP (and the other words
carriers and Twilio treat the same way) are honoured and recorded. Anything else is shown to
the host on the party's row.

Twilio's own opt-out handling (on by default) also reads some of these words: it opts a
number out on CANCEL as on STOP, and back in on YES as on START, and tells us so in the
webhook's OptOutType. Both are honoured: "cancel" leaves the queue and, when Twilio says it
opted the number out, is recorded as a STOP too (reply 9 to leave and keep getting texts).
"""

import re

from django.db import IntegrityError, transaction

from orders import clock, services
from orders.models import HEADING_OVER_STATUSES, OrderStatus, Order

from . import outbox
from .models import Channel, InboundText, Kind, Message, OptOut, Reading, State

STOP_WORDS = {"stop", "stopall", "unsubscribe", "end", "quit", "revoke", "optout"}
START_WORDS = {"start", "unstop"}
HELP_WORDS = {"help", "info"}
CONFIRM_WORDS = {"1", "yes", "y", "on my way", "omw", "coming", "on our way"}
LEAVE_WORDS = {"9", "cancel", "leave"}
LATE = re.compile(r"^(?:late|running late)?\s*(?P<minutes>\d{1,3})\s*(?:m|min|mins|minutes)?\s*(?:late)?$")


def read(body):
    """(Reading, minutes) for a text's body."""
    words = " ".join(re.sub(r"[^\w\s]", " ", (body or "").lower()).split())
    if words in STOP_WORDS:
        return Reading.STOP, None
    if words in START_WORDS:
        return Reading.START, None
    if words in HELP_WORDS:
        return Reading.HELP, None
    if words in CONFIRM_WORDS:
        return Reading.CONFIRMED, None
    if words in LEAVE_WORDS:
        return Reading.LEFT, None
    late = LATE.match(words)
    if late:
        return Reading.LATE, int(late["minutes"])
    return Reading.OTHER, None


# Parties a text can be about: still in the evening, not yet seated.
ANSWERABLE = (OrderStatus.REQUESTED, OrderStatus.IN_QUEUE, *HEADING_OVER_STATUSES)


def party_for(phone):
    """The party a number's text is about: its most recent one still in a queue, a party
    told to head over before one still waiting."""
    candidates = list(Order.objects.filter(phone=phone, status__in=ANSWERABLE).select_related("restaurant"))
    candidates.sort(key=lambda o: (o.status in HEADING_OVER_STATUSES, o.notified_at or o.joined_at), reverse=True)
    return candidates[0] if candidates else None


def opt_out(phone, keyword, now):
    OptOut.objects.update_or_create(phone=phone, defaults={"keyword": keyword[:20], "at": now})
    # Texts waiting to go to it never will.
    Message.objects.filter(channel=Channel.SMS, to=phone, state=State.QUEUED).update(
        state=State.SUPPRESSED, error="the number replied STOP", updated_at=now
    )


def handle(*, sid, from_number, to_number, body, opt_out_type=""):
    """Record one inbound text and do what it says. Returns the InboundText (None when this
    MessageSid was handled already: Twilio retries a webhook it did not hear back from)."""
    now = clock.now()
    reading, minutes = read(body)
    opt_out_type = (opt_out_type or "").upper()
    with transaction.atomic():
        if InboundText.objects.filter(provider_id=sid).exists():
            return None
        order = party_for(from_number)
        inbound = InboundText(
            provider_id=sid, from_number=from_number, to_number=to_number, body=body[:1600],
            received_at=now, order=order, restaurant=order.restaurant if order else None,
            reading=reading,
        )
        try:
            with transaction.atomic():
                inbound.save()
        except IntegrityError:
            return None
        if opt_out_type == "STOP" or reading == Reading.STOP:
            opt_out(from_number, body.strip().split(" ")[0] or "STOP", now)
        if opt_out_type == "START" or reading == Reading.START:
            OptOut.objects.filter(phone=from_number).delete()
        if order is None:
            if reading not in (Reading.STOP, Reading.START):
                inbound.reading, inbound.detail = Reading.NO_PARTY, "no party in a queue has this number"
            inbound.save(update_fields=["reading", "detail"])
            return inbound
        detail = ""
        try:
            if reading == Reading.CONFIRMED:
                services.confirm_on_my_way(order.pk, via="sms")
            elif reading == Reading.LEFT:
                services.leave_queue(order.pk)
            elif reading == Reading.LATE:
                services.running_late(order.pk, minutes, via="sms")
            elif reading == Reading.HELP and opt_out_type != "HELP":
                outbox.enqueue(order, Kind.HELP, channels=[Channel.SMS], now=now)
            elif reading == Reading.START:
                outbox.enqueue(order, Kind.STARTED, channels=[Channel.SMS], now=now)
        except services.QueueError as refusal:
            inbound.reading, detail = Reading.REFUSED, refusal.message
        inbound.detail = detail[:200] or (f"{minutes} min" if reading == Reading.LATE else "")
        inbound.save(update_fields=["reading", "detail"])
        # The host stand shows the party's last reply.
        services.screens_changed(order.restaurant_id, [order.pk])
    return inbound
