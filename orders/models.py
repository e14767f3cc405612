"""The queue domain's data: restaurants, their menus, the parties (orders) in their queues,
and the append-only log of everything that happened to each party.

Models hold data and invariants only; every change goes through orders.services.
"""

import secrets
import unicodedata
from urllib.parse import quote_plus

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

# Codes a host reads out loud and a diner types: no 0/O, 1/I/L, 2/Z, 5/S, 8/B.
ORDER_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
ORDER_CODE_LENGTH = 4
# The code of a past visit loaded with import_past_sittings (no quote, no queue, no order).
# It has an S, which the alphabet above never hands out, so no real party ever carries it.
PAST_VISIT_CODE = "PAST"


def new_public_token():
    # 128 bits (as unguessable as a session key) in 22 characters: the link has to fit in a
    # 160-character text with the restaurant's name and what the text says (messaging.texts).
    return secrets.token_urlsafe(16)


# Letters, digits, punctuation and symbols show on a screen; spaces, format characters
# (zero-width space and joiner, direction marks), controls and lone combining marks do not.
VISIBLE_CATEGORIES = ("L", "N", "P", "S")
# Letters and symbols that render as blank space all the same (Hangul fillers, Braille blank).
BLANK_LOOKING = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}


def has_visible_character(text):
    return any(
        unicodedata.category(ch)[0] in VISIBLE_CATEGORIES and ch not in BLANK_LOOKING
        for ch in text or ""
    )


def has_control_character(text):
    return any(unicodedata.category(ch) == "Cc" for ch in text or "")


def visible_name(value):
    """A party's name must show on the host stand: one visible character at least."""
    if not has_visible_character(value):
        raise ValidationError(
            "A name needs at least one letter, digit or sign that shows: spaces and "
            "invisible characters alone cannot be called out.",
            code="invisible",
        )


class RestaurantProfile(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    total_tables = models.PositiveIntegerField(
        default=10,
        help_text="How many tables the room has. Kept equal to the restaurant's tables; a new "
        "restaurant given only this number gets that many tables, each seating up to the "
        "largest party size.",
    )
    currently_occupied_tables = models.PositiveIntegerField(
        default=0,
        help_text="Seated app parties plus walk-ins the host adds by hand (kept by the app).",
    )
    avg_dine_in_duration_minutes = models.PositiveIntegerField(
        default=50, validators=[MinValueValidator(5), MaxValueValidator(600)]
    )
    arrival_grace_minutes = models.PositiveIntegerField(
        default=10,
        help_text="How long after the target arrival time a party may still turn up.",
    )
    default_travel_minutes = models.PositiveIntegerField(
        default=10,
        help_text="Time a notified party is given to arrive.",
    )
    max_party_size = models.PositiveIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    order_required = models.BooleanField(
        default=True, help_text="Diners must order at least one item when they join."
    )
    auto_notify = models.BooleanField(
        default=False,
        help_text="Tell parties to head over by themselves, when their table is projected to "
        "free within their travel time plus the notify buffer. Off: the host stand "
        "highlights who to notify.",
    )
    notify_buffer_minutes = models.PositiveIntegerField(
        # 3: on five fresh simulated evenings of each kind (bench/notify_timing.py) the only
        # buffer that kept idle tables under 3 minutes and lobby waits under 2 on average.
        default=3,
        validators=[MaxValueValidator(30)],
        help_text="Extra minutes of lead when telling a party to head over, so it walks in "
        "just before its table clears.",
    )
    auto_no_show = models.BooleanField(
        default=False,
        help_text="Mark a party a no-show once it is later than its target arrival plus the "
        "grace period, and notify the next party.",
    )
    plating_buffer_minutes = models.PositiveIntegerField(
        default=2,
        validators=[MaxValueValidator(30)],
        help_text="Minutes between food being ready and the party walking in, for plating.",
    )
    accepting_joins = models.BooleanField(default=True, help_text="Open for joining the queue.")
    max_queue_length = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="At most this many parties waiting (in the queue or asking to join); a "
        "diner who would be one more is told the queue is full right now. Empty: no cap.",
    )
    address = models.CharField(
        max_length=200,
        blank=True,
        help_text="Where the restaurant is, as a diner would type it into a map (shown on the "
        "join page, the diner's page and the poster).",
    )
    phone = models.CharField(
        max_length=32,
        blank=True,
        help_text="The number diners call (shown wherever a diner is asked to call the "
        "restaurant).",
    )
    map_url = models.URLField(
        "map link",
        max_length=500,
        blank=True,
        help_text="A link to the restaurant on a map (for example a share link from a maps "
        "app). Empty: a search for the address is linked instead.",
    )
    approve_remote_joins = models.BooleanField(
        default=False,
        help_text="A diner who joins from their phone asks to join: they get a place in the "
        "queue (and a quoted wait) only once the host accepts them on the host stand.",
    )
    phone_region = models.CharField(
        max_length=2,
        default="US",
        help_text="Where phone numbers typed without a country code are from (two letters, "
        "ISO 3166: US, GB, PT...). Numbers are stored with their country code (E.164).",
    )
    getting_close_minutes = models.PositiveIntegerField(
        default=15,
        validators=[MaxValueValidator(120)],
        help_text="Send a 'getting close' heads-up when a party's projected seating is within "
        "its trip plus this many minutes (once per party).",
    )
    wait_change_alerts = models.BooleanField(
        default=False,
        help_text="Tell a waiting party when its projected wait moves a lot (at most once per "
        "half hour).",
    )
    wait_change_minutes = models.PositiveIntegerField(
        default=20,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
        help_text="How far the projection must move from what the party was last told.",
    )
    release_unconfirmed_after_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="A party told to head over that has not confirmed it is on its way this "
        "many minutes after the call loses its projected table to the next party (it keeps "
        "its place as a late party). Empty: off.",
    )
    state_version = models.PositiveBigIntegerField(
        default=0,
        editable=False,
        help_text="Goes up with every committed change to the queue, tables or tickets; "
        "live screens compare it to know whether they missed an update.",
    )
    publish_quote_accuracy = models.BooleanField(
        default=True,
        help_text="Show diners on the restaurant page how many parties were seated within 5 "
        "minutes of their quote over the last 7 days (only once at least 30 parties were seated).",
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="staffed_restaurants",
        through="StaffMembership",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(currently_occupied_tables__lte=models.F("total_tables")),
                name="occupied_tables_within_total",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding and self.total_tables and not self.tables.exists():
            # The simple set-up: a number of tables and no sizes. Each seats any party the
            # queue takes; the host stand or the admin can give them sizes later.
            DiningTable.objects.bulk_create(
                DiningTable(restaurant=self, number=n, seats=self.max_party_size)
                for n in range(1, self.total_tables + 1)
            )

    def get_absolute_url(self):
        return reverse("diner:restaurant", args=[self.slug])

    @property
    def map_link(self):
        """The map link, or a map search for the address (None when neither is known)."""
        if self.map_url:
            return self.map_url
        if self.address:
            return "https://www.openstreetmap.org/search?query=" + quote_plus(self.address)
        return None

    @property
    def free_tables(self):
        return max(0, self.total_tables - self.currently_occupied_tables)

    def role_of(self, user):
        """The user's role here (StaffRole.HOST or StaffRole.MANAGER), or None for someone
        not on the staff. Superusers run every restaurant as managers. One query."""
        if not user.is_authenticated or not user.is_active:
            return None
        if user.is_superuser:
            return StaffRole.MANAGER
        return (
            StaffMembership.objects.filter(restaurant=self, user=user)
            .values_list("role", flat=True)
            .first()
        )

    def is_staffed_by(self, user):
        """Any role: hosts, the kitchen and managers all run the restaurant's screens."""
        return self.role_of(user) is not None

    def is_managed_by(self, user):
        """Managers (and superusers): insights, and the room and timing."""
        return self.role_of(user) == StaffRole.MANAGER


class StaffRole(models.TextChoices):
    HOST = "host", "Host and kitchen"
    MANAGER = "manager", "Manager"


class StaffMembership(models.Model):
    """Who is on a restaurant's staff, and as what. The table is the one the plain
    many-to-many field used to create, kept with its rows (migration 0006)."""

    restaurant = models.ForeignKey(
        RestaurantProfile,
        on_delete=models.CASCADE,
        related_name="memberships",
        db_column="restaurantprofile_id",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="restaurant_memberships",
        db_column="user_id",
    )
    role = models.CharField(max_length=16, choices=StaffRole.choices, default=StaffRole.HOST)

    class Meta:
        db_table = "orders_restaurantprofile_staff"
        # unique_together rather than a named UniqueConstraint: the table already has this
        # constraint under the name the many-to-many field gave it, and unique_together is
        # found by its columns, not its name, should it ever change.
        unique_together = [("restaurant", "user")]
        verbose_name = "staff member"

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}) at {self.restaurant}"


class DiningTable(models.Model):
    """A table in the room. It is free, taken by a party the app seated (Order.table), or
    taken by a walk-in the host seated by hand."""

    restaurant = models.ForeignKey(
        RestaurantProfile, on_delete=models.CASCADE, related_name="tables"
    )
    number = models.PositiveIntegerField(help_text="The number the staff call the table by.")
    seats = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(100)])
    walk_in = models.BooleanField(default=False, help_text="Taken by a walk-in party.")
    walk_in_party_size = models.PositiveIntegerField(null=True, blank=True)
    walk_in_seated_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty when not known (the estimate then assumes a full sitting from now)."
    )

    class Meta:
        ordering = ["restaurant", "number"]
        constraints = [
            models.UniqueConstraint(fields=["restaurant", "number"], name="unique_table_number"),
            models.CheckConstraint(
                condition=Q(walk_in=True) | (Q(walk_in_party_size__isnull=True) & Q(walk_in_seated_at__isnull=True)),
                name="walk_in_details_only_for_walk_ins",
            ),
        ]

    def __str__(self):
        return f"Table {self.number} ({self.seats} seats)"


class Course(models.TextChoices):
    """Where a dish sits on the menu: the join page groups dishes by course, in this order."""

    STARTER = "STARTER", "Starters"
    MAIN = "MAIN", "Mains"
    SIDE = "SIDE", "Sides"
    DESSERT = "DESSERT", "Desserts"
    DRINK = "DRINK", "Drinks"


COURSE_ORDER = {value: n for n, value in enumerate(Course.values)}


class MenuItem(models.Model):
    restaurant = models.ForeignKey(
        RestaurantProfile, on_delete=models.CASCADE, related_name="menu_items"
    )
    name = models.CharField(max_length=120)
    course = models.CharField(
        max_length=10,
        choices=Course.choices,
        default=Course.MAIN,
        help_text="The join page lists dishes by course.",
    )
    description = models.TextField(blank=True)
    price = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )
    estimated_prep_time_minutes = models.PositiveIntegerField(
        default=10, validators=[MinValueValidator(0), MaxValueValidator(240)]
    )
    available = models.BooleanField(default=True)

    class Meta:
        ordering = ["restaurant", "name"]
        constraints = [
            models.UniqueConstraint(fields=["restaurant", "name"], name="unique_menu_item_name"),
        ]

    def __str__(self):
        return f"{self.name} ({self.restaurant})"


class OrderStatus(models.TextChoices):
    # Asked to join a restaurant that approves remote joins: no place in the queue yet.
    REQUESTED = "REQUESTED", "Asked to join"
    IN_QUEUE = "IN_QUEUE", "Waiting in queue"
    AWAITING_ARRIVAL = "AWAITING_ARRIVAL", "Heading over"
    RECEIVED = "RECEIVED", "Kitchen received"
    PREPARING = "PREPARING", "Preparing"
    READY = "READY", "Seated"
    COMPLETED = "COMPLETED", "Completed"
    CANCELLED = "CANCELLED", "Cancelled"
    NO_SHOW = "NO_SHOW", "No-show"
    DECLINED = "DECLINED", "Declined by the host"


# Parties still in the restaurant's evening: they hold an order code.
ACTIVE_STATUSES = (
    OrderStatus.IN_QUEUE,
    OrderStatus.AWAITING_ARRIVAL,
    OrderStatus.RECEIVED,
    OrderStatus.PREPARING,
    OrderStatus.READY,
)
# Told to come, not yet seated: they will take the next tables before anyone still waiting.
HEADING_OVER_STATUSES = (
    OrderStatus.AWAITING_ARRIVAL,
    OrderStatus.RECEIVED,
    OrderStatus.PREPARING,
)
FINAL_STATUSES = (
    OrderStatus.COMPLETED,
    OrderStatus.CANCELLED,
    OrderStatus.NO_SHOW,
    OrderStatus.DECLINED,
)
# A party asking to join holds its code already (the host reads it out to accept them).
CODE_HOLDING_STATUSES = (OrderStatus.REQUESTED, *ACTIVE_STATUSES)
# Who counts against a restaurant's cap on the queue's length.
WAITING_STATUSES = (OrderStatus.REQUESTED, OrderStatus.IN_QUEUE)
# A diner may leave the queue by themselves until the kitchen has the ticket in hand (and
# not once it has started their food: Order.can_leave).
LEAVABLE_STATUSES = (OrderStatus.REQUESTED, OrderStatus.IN_QUEUE, OrderStatus.AWAITING_ARRIVAL)
# The kitchen has the ticket in hand.
KITCHEN_STATUSES = (OrderStatus.RECEIVED, OrderStatus.PREPARING)

# The longest a diner may type into each field (the columns' own lengths).
MAX_NAME_LENGTH = 80
MAX_PHONE_LENGTH = 32
MAX_EMAIL_LENGTH = 254
MAX_NOTE_LENGTH = 200


class Order(models.Model):
    """A party in a restaurant's queue, together with the food it ordered."""

    restaurant = models.ForeignKey(
        RestaurantProfile, on_delete=models.PROTECT, related_name="orders"
    )
    customer_name = models.CharField(max_length=MAX_NAME_LENGTH, validators=[visible_name])
    party_size = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    phone = models.CharField(max_length=MAX_PHONE_LENGTH, blank=True)
    email = models.EmailField(max_length=MAX_EMAIL_LENGTH, blank=True)
    order_code = models.CharField(max_length=ORDER_CODE_LENGTH)
    public_token = models.CharField(
        max_length=64, unique=True, default=new_public_token, editable=False
    )
    submission_key = models.CharField(
        max_length=64,
        blank=True,
        help_text="Identifies the join form that created this order, so a resubmission is caught.",
    )
    queue_position = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.IN_QUEUE
    )
    travel_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="How far away the diner said they are, in minutes."
    )
    quoted_wait_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The wait the diner was told when joining (when the host accepted them, at "
        "a restaurant that approves remote joins; empty until then).",
    )
    joined_at = models.DateTimeField(
        help_text="When the party took its place in the queue (asked to join, until accepted)."
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    target_arrival_time = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(
        null=True, blank=True, help_text="When the host checked the party in at the door."
    )
    fired_at = models.DateTimeField(
        null=True, blank=True, help_text="When the kitchen started preparing."
    )
    food_ready_at = models.DateTimeField(null=True, blank=True)
    seated_at_time = models.DateTimeField(null=True, blank=True)
    table = models.ForeignKey(
        DiningTable,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="parties",
        help_text="Where the party was seated.",
    )
    actual_wait_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Minutes from joining the queue to being seated: what the quote is measured against.",
    )
    completed_at_time = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="When the party was cancelled or marked a no-show."
    )
    added_by_host = models.BooleanField(
        default=False,
        help_text="Put in the queue by the host (a guest who walked up or phoned), not "
        "joined from the diner's own phone.",
    )
    note = models.CharField(
        max_length=MAX_NOTE_LENGTH,
        blank=True,
        help_text="The host's note about the party (a high chair, a step-free table...).",
    )
    # How the diner chose to be told (nothing is sent on a channel not chosen here).
    notify_by_sms = models.BooleanField(default=False, help_text="Texts to `phone`.")
    notify_by_push = models.BooleanField(default=False, help_text="Web push to the diner's browser.")
    notify_by_email = models.BooleanField(default=False, help_text="Emails to `email`.")
    confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the party confirmed it is on its way."
    )
    released_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the party lost its projected table for not confirming in time.",
    )
    getting_close_at = models.DateTimeField(
        null=True, blank=True, help_text="When the party was told its turn is getting close."
    )
    told_seating_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the party was last told it would be seated (its quote, or the last "
        "'your wait changed' message).",
    )
    wait_alerted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the party was last told its wait changed a lot."
    )

    class Meta:
        ordering = ["restaurant", "joined_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["restaurant", "order_code"],
                condition=Q(status__in=CODE_HOLDING_STATUSES),
                name="unique_active_order_code",
            ),
            models.UniqueConstraint(
                fields=["table"],
                condition=Q(status=OrderStatus.READY),
                name="one_seated_party_per_table",
            ),
            models.UniqueConstraint(
                fields=["restaurant", "submission_key"],
                condition=~Q(submission_key=""),
                name="unique_join_submission",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=OrderStatus.IN_QUEUE, queue_position__isnull=False)
                    | (~Q(status=OrderStatus.IN_QUEUE) & Q(queue_position__isnull=True))
                ),
                name="queue_position_only_while_waiting",
            ),
        ]
        indexes = [
            models.Index(fields=["restaurant", "status", "queue_position"]),
            # Insights and the published quote accuracy read a restaurant's parties by when
            # they joined or sat down, over days to months of history.
            models.Index(fields=["restaurant", "joined_at"], name="order_restaurant_joined"),
            models.Index(fields=["restaurant", "seated_at_time"], name="order_restaurant_seated"),
        ]

    def __str__(self):
        return f"{self.order_code} {self.customer_name} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("diner:order", args=[self.public_token])

    @property
    def is_waiting(self):
        return self.status == OrderStatus.IN_QUEUE

    @property
    def is_requested(self):
        return self.status == OrderStatus.REQUESTED

    @property
    def is_heading_over(self):
        return self.status in HEADING_OVER_STATUSES

    @property
    def kitchen_has_it(self):
        """The kitchen has the ticket in hand, or has started the party's food (it may start
        a waiting party's food early when it takes longer than their trip)."""
        return self.status in KITCHEN_STATUSES or self.fired_at is not None

    @property
    def notify_channels(self):
        """The channels the diner chose, in the order they are tried."""
        return [
            name
            for name, chosen in (
                ("sms", self.notify_by_sms),
                ("push", self.notify_by_push),
                ("email", self.notify_by_email),
            )
            if chosen
        ]

    @property
    def can_leave(self):
        """The diner may leave by themselves: once the kitchen has their ticket in hand or
        has started their food, they call the restaurant instead."""
        return self.status in LEAVABLE_STATUSES and not self.kitchen_has_it

    @property
    def is_final(self):
        return self.status in FINAL_STATUSES

    @property
    def total(self):
        return sum((line.line_total for line in self.items.all()), start=0)



class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    menu_item = models.ForeignKey(MenuItem, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)
    note = models.CharField(max_length=MAX_NOTE_LENGTH, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_item_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.menu_item.name}"

    @property
    def line_total(self):
        return self.unit_price * self.quantity


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk edits and deletes are refused too, not only row by row."""

    def update(self, **kwargs):
        raise ValueError("This log is append-only; its entries cannot be edited.")

    def delete(self):
        raise ValueError("This log is append-only; its entries cannot be deleted.")


class OrderEvent(models.Model):
    """Append-only: every status change and host action, who did it and when."""

    objects = AppendOnlyQuerySet.as_manager()

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the diner or the system acted.",
    )
    actor_label = models.CharField(max_length=40, blank=True)
    at = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.order.order_code}: {self.action} {self.from_status}->{self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Order events are append-only; they cannot be edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Order events are append-only; they cannot be deleted.")


class RestaurantEvent(models.Model):
    """Append-only log of host actions that concern the room rather than one party
    (walk-ins seated or leaving, opening and closing the queue)."""

    objects = AppendOnlyQuerySet.as_manager()

    restaurant = models.ForeignKey(
        RestaurantProfile, on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Restaurant events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Restaurant events are append-only.")
