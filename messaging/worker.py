"""Sending the outbox: claim due rows, send each through its channel's backend, mark it.

A row goes queued -> claimed -> sending -> sent (-> delivered, from the provider's status
callback), or back to queued with a later next_attempt_at after an error that a retry may
fix (exponential backoff: MESSAGING_RETRY_SECONDS, doubled each time, at most an hour), or
to failed after MESSAGING_MAX_ATTEMPTS tries or an error no retry fixes (then the diner's
other chosen channels get the message).

Never twice:
- Claiming is one transaction. On PostgreSQL it selects due rows FOR UPDATE SKIP LOCKED, so
  two workers claim different rows and neither waits; on SQLite a transaction takes the
  database's write lock when it begins (transaction_mode IMMEDIATE in the settings), so two
  workers' claims run one after the other. A claim lasts MESSAGING_LEASE_SECONDS.
- Each send is fenced: the row goes claimed -> sending only if this worker still holds the
  claim (a conditional UPDATE), and that is committed before the provider is called.
- A worker killed after claiming, before calling the provider, leaves a row "claimed": when
  the lease runs out another worker (or the same one restarted) takes it and sends it; it
  was never sent, so it is sent once.
- A worker killed while calling the provider leaves a row "sending": it may or may not have
  gone out. It is not sent again blindly: when its lease runs out, the backend is asked
  whether the provider has it (`lookup`). Twilio lists the texts sent to a number (same body,
  created since the claim: adopt its id); the file backend finds its line by the message's
  id. Where the provider cannot say, a repeat is made harmless instead: a push carries the
  same Topic (the push service keeps one) and notification tag (the phone shows one), an
  email the same Message-ID (mail systems drop the repeat); the console only logs.
- A worker that stalls longer than its lease while calling the provider could race the one
  that took over its row: the lease (120 s) is twelve times the providers' timeout (10 s).
"""

import logging
import os
import socket
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q

from orders import clock, services
from orders.models import HEADING_OVER_STATUSES, OrderStatus

from . import outbox
from .backends import UNKNOWN, SendError, backend_for
from .models import Channel, Kind, Message, OptOut, State

logger = logging.getLogger("messaging.worker")

MAX_BACKOFF = timedelta(hours=1)


def worker_name():
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def backoff(attempts):
    seconds = settings.MESSAGING_RETRY_SECONDS * 2 ** max(0, attempts - 1)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def claim(worker, limit=20):
    """Take up to `limit` due rows for `worker`; returns their ids. Due: queued and
    next_attempt_at reached, or claimed/sending by a worker whose lease ran out."""
    now = clock.now()
    until = now + timedelta(seconds=settings.MESSAGING_LEASE_SECONDS)
    with transaction.atomic():
        due = Message.objects.filter(
            Q(state=State.QUEUED, next_attempt_at__lte=now)
            | Q(state__in=(State.CLAIMED, State.SENDING), claimed_until__lt=now)
        ).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        rows = list(due.values_list("pk", "state")[:limit])
        for pk, state in rows:
            # A row found "sending" stays "sending": it may have gone out (see above).
            Message.objects.filter(pk=pk).update(
                state=State.SENDING if state == State.SENDING else State.CLAIMED,
                claimed_by=worker,
                claimed_until=until,
                updated_at=now,
            )
    return [pk for pk, _ in rows]


def _obsolete(message):
    """Why a message no longer needs sending (the party moved on), or ""."""
    status = message.order.status
    if message.kind in (Kind.GETTING_CLOSE, Kind.WAIT_CHANGED) and status != OrderStatus.IN_QUEUE:
        return "the party is no longer waiting"
    if message.kind in (Kind.HEAD_OVER, Kind.CONFIRMED, Kind.LATE) and status not in HEADING_OVER_STATUSES:
        return "the party is no longer heading over"
    if message.kind == Kind.JOINED and status not in (OrderStatus.IN_QUEUE, *HEADING_OVER_STATUSES):
        return "the party is no longer in the queue"
    if message.channel == Channel.SMS and OptOut.objects.filter(phone=message.to).exists():
        return "the number replied STOP"
    return ""


def _over_rate(message, now):
    count, seconds = outbox.restaurant_rate()
    recent = Message.objects.filter(
        restaurant_id=message.restaurant_id, sent_at__gte=now - timedelta(seconds=seconds)
    ).count()
    return recent >= count


def _finish(message, worker, *, announce=True, **fields):
    """Update a row this worker holds (in one transaction with the screens' version bump).
    Returns False when the row moved on meanwhile (a status callback, another worker)."""
    now = clock.now()
    with transaction.atomic():
        done = Message.objects.filter(
            pk=message.pk, claimed_by=worker, state__in=(State.CLAIMED, State.SENDING)
        ).update(claimed_by="", claimed_until=None, updated_at=now, **fields)
        if done and announce:
            services.screens_changed(message.restaurant_id, [message.order_id])
    return bool(done)


def _mark_sent(message, worker, provider_id):
    return _finish(message, worker, state=State.SENT, provider_id=provider_id[:64], sent_at=clock.now(), error="", error_code="")


def _mark_error(message, worker, error, attempts):
    now = clock.now()
    if error.permanent or attempts >= settings.MESSAGING_MAX_ATTEMPTS:
        with transaction.atomic():
            if _finish(
                message, worker, state=State.FAILED, failed_at=now,
                error=error.message[:300], error_code=error.code[:20],
            ):
                outbox.fallback(message, now=now)
        logger.warning("Message %s failed for good: %s", message.pk, error.message)
        return
    _finish(
        message, worker, announce=False, state=State.QUEUED, next_attempt_at=now + backoff(attempts),
        error=f"retrying: {error.message}"[:300], error_code=error.code[:20],
    )
    logger.info("Message %s: %s; trying again later", message.pk, error.message)


def send_one(pk, worker):
    """Send one claimed row. Returns its state afterwards."""
    message = Message.objects.select_related("order__restaurant", "restaurant").get(pk=pk)
    if message.claimed_by != worker:
        return message.state
    now = clock.now()
    in_doubt = message.state == State.SENDING
    reason = _obsolete(message)
    if reason and not in_doubt:
        _finish(message, worker, state=State.SUPPRESSED, error=reason)
        return State.SUPPRESSED
    if not in_doubt and _over_rate(message, now):
        count, seconds = outbox.restaurant_rate()
        _finish(
            message, worker, announce=False, state=State.QUEUED,
            next_attempt_at=now + timedelta(seconds=min(60, seconds)),
            error=f"waiting: over the restaurant's limit of {count} messages per {seconds} s",
        )
        logger.warning("Restaurant %s is over its message rate; message %s waits", message.restaurant_id, pk)
        return State.QUEUED
    try:
        backend = backend_for(message.channel)
        if in_doubt:
            found = backend.lookup(message)
            if found not in (None, UNKNOWN):
                _mark_sent(message, worker, found)
                return State.SENT
    except SendError as error:
        _mark_error(message, worker, error, message.attempts)
        return State.FAILED if error.permanent else State.QUEUED
    # The fence: still ours, and now "sending", committed before the provider is called.
    if not Message.objects.filter(
        pk=pk, claimed_by=worker, state__in=(State.CLAIMED, State.SENDING)
    ).update(state=State.SENDING, attempts=F("attempts") + 1, updated_at=clock.now()):
        return Message.objects.values_list("state", flat=True).get(pk=pk)
    message.attempts += 1
    try:
        provider_id = backend.send(message)
    except SendError as error:
        _mark_error(message, worker, error, message.attempts)
        return Message.objects.values_list("state", flat=True).get(pk=pk)
    except Exception as error:  # a bug or a library's surprise: retry later, keep the worker up
        logger.exception("Message %s: unexpected error while sending", pk)
        _mark_error(message, worker, SendError(f"unexpected: {error}"[:200]), message.attempts)
        return Message.objects.values_list("state", flat=True).get(pk=pk)
    _mark_sent(message, worker, provider_id or f"{message.channel}-{pk}")
    return State.SENT


def send_due(worker=None, limit=20):
    """One pass: claim due rows and send them. Returns how many were handled."""
    worker = worker or worker_name()
    handled = 0
    for pk in claim(worker, limit):
        try:
            send_one(pk, worker)
        except Exception:
            logger.exception("Message %s could not be handled; its lease will run out", pk)
        handled += 1
    return handled
