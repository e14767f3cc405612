"""Messages to diners and what they send back.

- Message: the outbox. One row per message per channel, written in the same transaction as
  the change that causes it (messaging.outbox listens to orders' domain events), sent later
  by the worker (manage.py send_messages), and kept as the log of what was sent, when, and
  what the provider said about it.
- OptOut: a phone number that texted STOP (and not START since): nothing is texted to it.
- PushSubscription: a diner's browser that allowed notifications (Web Push).
- InboundText: every text a diner sent us, and what ReadyTable made of it.
"""

from django.db import models
from django.db.models import Q

from orders.models import Order, RestaurantProfile


class Channel(models.TextChoices):
    SMS = "sms", "Text"
    PUSH = "push", "This browser"
    EMAIL = "email", "Email"


class Kind(models.TextChoices):
    JOINED = "joined", "Joined"
    GETTING_CLOSE = "getting_close", "Getting close"
    HEAD_OVER = "head_over", "Head over now"
    WAIT_CHANGED = "wait_changed", "Wait changed"
    LEFT = "left", "Left the queue"
    REMOVED = "removed", "Removed"
    NO_SHOW = "no_show", "No-show"
    DECLINED = "declined", "Declined"
    CONFIRMED = "confirmed", "Reply: on my way"
    LATE = "late", "Reply: running late"
    HELP = "help", "Reply: help"
    STARTED = "started", "Reply: texts back on"
    HOST = "host", "From the host"


# Sent at most once per party and channel (a unique constraint says so).
ONCE_KINDS = (
    Kind.JOINED,
    Kind.GETTING_CLOSE,
    Kind.HEAD_OVER,
    Kind.LEFT,
    Kind.REMOVED,
    Kind.NO_SHOW,
    Kind.DECLINED,
)
# What a diner misses if it never arrives: worth trying the diner's other channels.
FALLBACK_KINDS = (Kind.JOINED, Kind.GETTING_CLOSE, Kind.HEAD_OVER, Kind.WAIT_CHANGED, Kind.HOST)


class State(models.TextChoices):
    QUEUED = "queued", "Queued"
    # A worker took the row (until claimed_until); the provider has not been called.
    CLAIMED = "claimed", "Claimed"
    # The provider is being called: if the worker dies now, the message may or may not have
    # gone out (messaging.worker decides what to do with such a row).
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    # Never sent on purpose: opted out, over a limit, no longer true.
    SUPPRESSED = "suppressed", "Not sent"


class Message(models.Model):
    restaurant = models.ForeignKey(RestaurantProfile, on_delete=models.CASCADE, related_name="messages")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    to = models.CharField(
        max_length=254, blank=True, help_text="The phone (E.164) or email address; for a push, blank."
    )
    subject = models.CharField(max_length=200, blank=True, help_text="An email's subject, a push's title.")
    body = models.TextField()
    context = models.JSONField(
        default=dict, blank=True, help_text="What the words were made from (minutes, a host's note)."
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0, help_text="Calls to the provider so far.")
    next_attempt_at = models.DateTimeField(help_text="When the worker may (next) send it.")
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=64, blank=True, help_text="e.g. Twilio's message SID.")
    error = models.CharField(max_length=300, blank=True)
    error_code = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind", "channel"],
                condition=Q(kind__in=ONCE_KINDS),
                name="message_once_per_party_kind_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="message_due"),
            models.Index(fields=["order", "created_at"], name="message_by_party"),
            models.Index(fields=["restaurant", "sent_at"], name="message_sent_by_restaurant"),
            models.Index(fields=["provider_id"], name="message_provider_id"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.get_channel_display().lower()} to {self.order.order_code}: {self.state}"


class OptOut(models.Model):
    """A phone number that texted STOP. START (or Twilio's opt-in words) removes the row;
    every keyword is also in the InboundText log."""

    phone = models.CharField(max_length=32, unique=True)
    keyword = models.CharField(max_length=20)
    at = models.DateTimeField()

    def __str__(self):
        return f"{self.phone} ({self.keyword})"


class PushSubscription(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField()
    active = models.BooleanField(default=True, help_text="Off once the push service said it is gone.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "endpoint"], name="one_subscription_per_browser"),
        ]

    def info(self):
        """What pywebpush takes."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class Reading(models.TextChoices):
    CONFIRMED = "confirmed", "On my way"
    LATE = "late", "Running late"
    LEFT = "left", "Left the queue"
    STOP = "stop", "STOP: no more texts"
    START = "start", "START: texts again"
    HELP = "help", "HELP"
    OTHER = "other", "Shown to the host"
    NO_PARTY = "no_party", "No party with this number"
    REFUSED = "refused", "Not possible now"


class InboundText(models.Model):
    provider_id = models.CharField(max_length=64, unique=True, help_text="Twilio's MessageSid.")
    from_number = models.CharField(max_length=32)
    to_number = models.CharField(max_length=32, blank=True)
    body = models.CharField(max_length=1600)
    received_at = models.DateTimeField()
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_texts"
    )
    restaurant = models.ForeignKey(
        RestaurantProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_texts"
    )
    reading = models.CharField(max_length=12, choices=Reading.choices)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["order", "received_at"], name="inbound_by_party")]

    def __str__(self):
        return f"{self.from_number}: {self.body[:40]}"
