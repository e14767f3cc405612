"""What the host stand shows of each party's messages: the last message and how it fared
("Head over now: text delivered 19:32", "text failed: is it a landline?"), and the party's
last text back when it is something only a person can read. Read for every party in the
snapshot at once (orders.selectors.add_snapshot_reader), in three queries whatever the
queue's length."""

from dataclasses import dataclass

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from .backends.sms import PERMANENT_TWILIO_ERRORS
from .models import Channel, InboundText, Kind, Message, OptOut, Reading, State

CHANNEL_WORDS = {Channel.SMS: "text", Channel.PUSH: "push", Channel.EMAIL: "email"}


@dataclass(frozen=True)
class ContactLine:
    text: str
    level: str  # "ok", "wait", "bad", "off"


def _at(moment):
    return timezone.localtime(moment).strftime("%H:%M") if moment else ""


def _failure(message):
    try:
        known = PERMANENT_TWILIO_ERRORS.get(int(message.error_code))
    except (TypeError, ValueError):
        known = None
    return known or message.error.removeprefix("retrying: ") or "failed"


def line_for(message):
    """One message's state, in the host's words."""
    what = f"{Kind(message.kind).label}: {CHANNEL_WORDS[message.channel]}"
    if message.state == State.DELIVERED:
        return ContactLine(f"{what} delivered {_at(message.delivered_at)}", "ok")
    if message.state == State.SENT:
        return ContactLine(f"{what} sent {_at(message.sent_at)}", "ok")
    if message.state == State.FAILED:
        return ContactLine(f"{what} failed: {_failure(message)}", "bad")
    if message.state == State.SUPPRESSED:
        return ContactLine(f"{what} not sent: {message.error}", "off")
    if message.error:  # queued again after an error
        return ContactLine(f"{what} {message.error}", "wait")
    return ContactLine(f"{what} sending", "wait")


def _latest(queryset, ids):
    """The newest row for each party in `ids`: one query (a window function)."""
    return queryset.filter(order_id__in=ids).annotate(
        newest=Window(RowNumber(), partition_by=[F("order_id")], order_by=[F("created_at").desc(), F("id").desc()])
        if queryset.model is Message
        else Window(RowNumber(), partition_by=[F("order_id")], order_by=[F("received_at").desc(), F("id").desc()])
    ).filter(newest=1)


def read_messages(snap):
    """orders.selectors snapshot reader: sets `contact_line`, `diner_said` and
    `texts_stopped` on every party of the snapshot."""
    parties = snap.requests + snap.orders
    for order in parties:
        order.contact_line = order.diner_said = None
        order.texts_stopped = False
    ids = [order.pk for order in parties]
    if not ids:
        return
    last = {m.order_id: m for m in _latest(Message.objects.all(), ids)}
    said = {t.order_id: t for t in _latest(InboundText.objects.all(), ids)}
    phones = {order.phone for order in parties if order.notify_by_sms and order.phone}
    stopped = set(OptOut.objects.filter(phone__in=phones).values_list("phone", flat=True)) if phones else set()
    for order in parties:
        message = last.get(order.pk)
        order.contact_line = line_for(message) if message else None
        reply = said.get(order.pk)
        if reply is not None and reply.reading in (Reading.OTHER, Reading.REFUSED):
            order.diner_said = f"{reply.body[:120]} ({_at(reply.received_at)})"
        order.texts_stopped = order.phone in stopped
