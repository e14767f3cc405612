"""Every write to the queue happens here: joining, leaving, notifying, seating, completing,
no-shows, the kitchen's ticket steps, the host's tables and walk-ins, and the timing rules
that notify parties and mark no-shows by themselves.

Each action runs in one transaction that first locks the restaurant's row, so two hosts, a
kitchen and fifty joining diners are served one at a time per restaurant and positions stay
dense (1..n). After the transaction commits, `signals.queue_changed` announces what changed;
orders/ knows nothing about who listens.
"""

import hashlib
import logging
import random

from dataclasses import dataclass
from datetime import timedelta

import phonenumbers
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import clock, selectors, timing
from .models import (
    ACTIVE_STATUSES,
    CODE_HOLDING_STATUSES,
    HEADING_OVER_STATUSES,
    KITCHEN_STATUSES,
    LEAVABLE_STATUSES,
    MAX_EMAIL_LENGTH,
    MAX_NAME_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_PHONE_LENGTH,
    WAITING_STATUSES,
    DiningTable,
    ORDER_CODE_ALPHABET,
    ORDER_CODE_LENGTH,
    PAST_VISIT_CODE,
    MenuItem,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    RestaurantEvent,
    RestaurantProfile,
    has_control_character,
    has_visible_character,
)
from . import signals
from .signals import queue_changed

logger = logging.getLogger(__name__)

MAX_ITEM_QUANTITY = 50
MAX_ID = 2**63 - 1  # larger numbers are no row of ours, and SQLite cannot even compare them
MAX_TRAVEL_MINUTES = 180
MAX_SUBMISSION_KEY_LENGTH = 64
MAX_WALK_IN_PARTY = 100
# One "Remove selected" on the host stand removes at most this many parties.
MAX_PARTIES_AT_ONCE = 200


class QueueError(Exception):
    """A request the restaurant's rules refuse. `status_code` is the HTTP status a view uses."""

    status_code = 409

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class InvalidJoin(QueueError):
    status_code = 400

    def __init__(self, errors):
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


class RestaurantClosed(QueueError):
    pass


class QueueFull(QueueError):
    """The restaurant's cap on the queue's length is reached."""


class OutOfRange(QueueError):
    """A number (or a choice) the host sent that no screen offers: 400, not a conflict."""

    status_code = 400


class DuplicateJoin(QueueError):
    def __init__(self, order):
        super().__init__(
            f"This form was already sent: you are in the queue as {order.order_code}."
        )
        self.order = order


class IllegalTransition(QueueError):
    pass


class NoFreeTable(QueueError):
    pass


class EmptyQueue(QueueError):
    pass


class TablesOutOfRange(QueueError):
    pass


class RoomChangedMeanwhile(QueueError):
    """The room and timing were saved from another screen after this form was loaded: saving
    it as it is would silently undo that change."""


# Which status may follow which. Anything else is refused and changes nothing.
TRANSITIONS = {
    # Asked to join: the host accepts (a place at the back of the queue, quoted then) or
    # declines; the diner may withdraw.
    OrderStatus.REQUESTED: {OrderStatus.IN_QUEUE, OrderStatus.DECLINED, OrderStatus.CANCELLED},
    OrderStatus.IN_QUEUE: {OrderStatus.AWAITING_ARRIVAL, OrderStatus.CANCELLED},
    OrderStatus.AWAITING_ARRIVAL: {
        OrderStatus.RECEIVED,
        OrderStatus.PREPARING,
        OrderStatus.READY,
        OrderStatus.CANCELLED,
        OrderStatus.NO_SHOW,
    },
    OrderStatus.RECEIVED: {
        OrderStatus.PREPARING,
        OrderStatus.READY,
        OrderStatus.CANCELLED,
        OrderStatus.NO_SHOW,
    },
    OrderStatus.PREPARING: {
        OrderStatus.READY,
        OrderStatus.CANCELLED,
        OrderStatus.NO_SHOW,
    },
    OrderStatus.READY: {OrderStatus.COMPLETED},
}

# What the refusal says, in the host's words, when a transition is not allowed.
_VERBS = {
    OrderStatus.IN_QUEUE: "accept",
    OrderStatus.DECLINED: "decline",
    OrderStatus.AWAITING_ARRIVAL: "notify",
    OrderStatus.RECEIVED: "accept the ticket of",
    OrderStatus.PREPARING: "start preparing for",
    OrderStatus.READY: "seat",
    OrderStatus.COMPLETED: "complete",
    OrderStatus.CANCELLED: "remove",
    OrderStatus.NO_SHOW: "mark as a no-show",
}


def can_transition(from_status, to_status):
    return to_status in TRANSITIONS.get(from_status, set())


# ---------------------------------------------------------------------------------------
# Announcing changes


def _announce(restaurant_id, order_ids=()):
    """Bump the restaurant's state version and, after commit, tell listeners which
    restaurant and orders changed. A listener's
    failure never fails the request: the database already holds the truth."""
    order_ids = tuple(order_ids)
    # Inside the caller's transaction: the new version commits together with the change.
    RestaurantProfile.objects.filter(pk=restaurant_id).update(
        state_version=F("state_version") + 1
    )

    def send():
        for receiver, result in queue_changed.send_robust(
            sender=RestaurantProfile, restaurant_id=restaurant_id, order_ids=order_ids
        ):
            if isinstance(result, Exception):
                logger.error(
                    "queue_changed receiver %r failed for restaurant %s",
                    receiver,
                    restaurant_id,
                    exc_info=result,
                )

    transaction.on_commit(send)


def screens_changed(restaurant_id, order_ids=()):
    """Something the live screens show changed outside the queue's own rules (a text to a
    party was delivered, or failed; a diner's reply arrived): bump the restaurant's state
    version in the caller's transaction and tell the screens after it commits. For apps that
    keep facts the screens show (messaging/); orders' own actions announce themselves."""
    _announce(restaurant_id, order_ids)


def _lock_restaurant(restaurant_id):
    return RestaurantProfile.objects.select_for_update().get(pk=restaurant_id)


def _lock_order(order_id):
    """(restaurant, order), both locked: the restaurant first, as every action does, so
    two actions never wait on each other in opposite orders."""
    restaurant_id = Order.objects.values_list("restaurant_id", flat=True).get(pk=order_id)
    restaurant = _lock_restaurant(restaurant_id)
    order = Order.objects.select_for_update().get(pk=order_id)
    order.restaurant = restaurant
    return restaurant, order


def _actor_label(actor):
    if actor is None:
        return "diner"
    if isinstance(actor, str):
        return actor
    return actor.get_username()


def _log(order, action, from_status, to_status, actor, now, detail=""):
    OrderEvent.objects.create(
        order=order,
        action=action,
        from_status=from_status or "",
        to_status=to_status or "",
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=_actor_label(actor),
        at=now,
        detail=detail[:200],
    )


# ---------------------------------------------------------------------------------------
# The room


def _sync_room(restaurant):
    """Recount the room from its tables (inside the caller's locked transaction), so
    total_tables and currently_occupied_tables can never drift from the truth."""
    tables = DiningTable.objects.filter(restaurant=restaurant)
    total = tables.count()
    seated = Order.objects.filter(
        restaurant=restaurant, status=OrderStatus.READY, table__isnull=False
    ).count()
    occupied = tables.filter(walk_in=True).count() + seated
    if (restaurant.total_tables, restaurant.currently_occupied_tables) != (total, occupied):
        restaurant.total_tables = total
        restaurant.currently_occupied_tables = occupied
        restaurant.save(update_fields=["total_tables", "currently_occupied_tables"])


def _all_tables(restaurant):
    n = restaurant.total_tables
    return "The only table is" if n == 1 else f"All {n} tables are"


def _free_tables(restaurant):
    """The restaurant's free tables, smallest first."""
    taken = Order.objects.filter(
        restaurant=restaurant, status=OrderStatus.READY, table__isnull=False
    ).values("table_id")
    return (
        DiningTable.objects.filter(restaurant=restaurant, walk_in=False)
        .exclude(pk__in=taken)
        .order_by("seats", "number")
    )


# ---------------------------------------------------------------------------------------
# Joining and leaving


@dataclass(frozen=True)
class LineRequest:
    menu_item_id: int
    quantity: int
    note: str = ""


def _too_long(label, text, limit):
    return f"{label} can be at most {limit} characters (this one has {len(text)})."


def _check_texts(customer_name, phone, email, submission_key):
    """What a diner typed, as the columns hold it: refused with the field named, never cut,
    and never a character a screen cannot show or the database cannot store."""
    errors = {}
    if not has_visible_character(customer_name):
        errors["customer_name"] = (
            "Please tell us a name to call you by: at least one letter, digit or sign that "
            "shows (spaces and invisible characters alone cannot be called out)."
        )
    elif len(customer_name) > MAX_NAME_LENGTH:
        errors["customer_name"] = _too_long("Your name", customer_name, MAX_NAME_LENGTH)
    elif has_control_character(customer_name):
        errors["customer_name"] = "Your name cannot contain control characters."
    _check_addresses(phone, email, errors)
    if len(submission_key) > MAX_SUBMISSION_KEY_LENGTH or has_control_character(submission_key):
        errors["submission_key"] = (
            "This form has expired or was changed; please reload the page and send it again."
        )
    return errors


def _check_addresses(phone, email, errors):
    """A phone number and an email address as typed: refused when too long for their columns
    or holding a control character (into `errors`, by field)."""
    for field, label, text, limit in (
        ("phone", "Phone", phone, MAX_PHONE_LENGTH),
        ("email", "Email", email, MAX_EMAIL_LENGTH),
    ):
        if len(text) > limit:
            errors[field] = _too_long(label, text, limit)
        elif has_control_character(text):
            errors[field] = f"{label} cannot contain control characters."


def call_the_restaurant(restaurant):
    """"Please call the restaurant", always with the number to call (or, when the restaurant
    gave none, who to ask)."""
    if restaurant.phone:
        return f"please call {restaurant.name} on {restaurant.phone}"
    return f"please ask {restaurant.name}'s host"


def _party_size_error(restaurant, party_size, *, by_host=False, largest_table=None):
    """Why the queue does not take a party of this size, or None."""
    if party_size is None or party_size < 1:
        return "A party has at least 1 person."
    if party_size > restaurant.max_party_size:
        if by_host:
            return (
                f"The queue takes parties of up to {restaurant.max_party_size} (the restaurant's "
                "largest party size, set in the back office); seat a larger group by hand."
            )
        return (
            f"{restaurant.name} seats parties of up to {restaurant.max_party_size} through the "
            f"queue; for a larger group {call_the_restaurant(restaurant)}."
        )
    if largest_table is not None and party_size > largest_table:
        if by_host:
            return (
                f"The largest table seats {largest_table}: a party of {party_size} cannot be "
                "seated from the queue."
            )
        return (
            f"{restaurant.name}'s largest table seats {largest_table}; for a party of "
            f"{party_size} {call_the_restaurant(restaurant)}."
        )
    return None


def normalize_phone(raw, region):
    """A phone number as typed, in E.164 (+14155550134), read in `region` when it has no
    country code. Raises ValueError with a message for the diner when it is no phone number."""
    raw = (raw or "").strip()
    try:
        number = phonenumbers.parse(raw, (region or "US").upper())
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValueError(
            "That doesn't look like a phone number we can text: check it, or add the country "
            "code (like +44)."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True)
class Contact:
    """How a diner wants to be told: the channels chosen and their addresses."""

    phone: str = ""
    email: str = ""
    sms: bool = False
    push: bool = False
    email_chosen: bool = False


def _check_contact(restaurant, contact, errors):
    """The contact as stored (phone in E.164), or errors for the diner. Nothing is sent on a
    channel that was not chosen, and a chosen channel needs its address."""
    phone, email = contact.phone, contact.email
    if phone and "phone" not in errors:
        try:
            phone = normalize_phone(phone, restaurant.phone_region)
        except ValueError as error:
            errors["phone"] = str(error)
    if contact.sms and not contact.phone and "phone" not in errors:
        errors["phone"] = "To get texts, tell us the phone number to text."
    if contact.email_chosen and not email and "email" not in errors:
        errors["email"] = "To get emails, tell us the email address."
    return Contact(phone, email, contact.sms, contact.push, contact.email_chosen)


def _validate_join(
    restaurant, customer_name, party_size, lines, phone="", email="", submission_key="",
    *, by_host=False, note="",
):
    customer_name = (customer_name or "").strip()
    errors = _check_texts(customer_name, phone, email, submission_key)
    if len(note) > MAX_NOTE_LENGTH:
        errors["note"] = _too_long("The note", note, MAX_NOTE_LENGTH)
    elif has_control_character(note):
        errors["note"] = "The note cannot contain control characters."
    size_error = _party_size_error(restaurant, party_size, by_host=by_host)
    if size_error:
        errors["party_size"] = size_error
    wanted = {}
    for line in lines:
        if line.quantity < 0:
            errors["items"] = "Quantities cannot be negative."
        elif line.quantity > MAX_ITEM_QUANTITY:
            errors["items"] = f"At most {MAX_ITEM_QUANTITY} of one dish per order."
        elif line.quantity > 0:
            if line.menu_item_id in wanted:  # the same dish twice: one line, both counted
                earlier = wanted[line.menu_item_id]
                line = LineRequest(
                    line.menu_item_id, earlier.quantity + line.quantity, earlier.note or line.note
                )
            wanted[line.menu_item_id] = line
    menu = {
        item.pk: item
        for item in MenuItem.objects.filter(
            restaurant=restaurant, pk__in=[pk for pk in wanted if 0 < pk <= MAX_ID], available=True
        )
    }
    if "items" not in errors and set(wanted) - set(menu):
        errors["items"] = "Some of the dishes you picked are not on this restaurant's menu."
    if "items" not in errors:
        for pk, line in wanted.items():
            note = (line.note or "").strip()
            label = f"The note for the kitchen about {menu[pk].name}"
            if len(note) > MAX_NOTE_LENGTH:
                errors["items"] = _too_long(label, note, MAX_NOTE_LENGTH)
            elif has_control_character(note):
                errors["items"] = f"{label} cannot contain control characters."
    if "items" not in errors and restaurant.order_required and not wanted and not by_host:
        errors["items"] = "Please choose at least one dish, so it can be ready when you sit down."
    if errors:
        raise InvalidJoin(errors)
    return customer_name, [(menu[pk], line) for pk, line in wanted.items()]


def _new_order_code(taken):
    for _ in range(200):
        code = "".join(random.choices(ORDER_CODE_ALPHABET, k=ORDER_CODE_LENGTH))
        if code not in taken:
            return code
    raise QueueError("The queue is too busy to hand out a code right now; please try again.")


def join_queue(
    restaurant_id,
    *,
    customer_name,
    party_size,
    lines=(),
    phone="",
    email="",
    travel_minutes=None,
    submission_key="",
    notify_by_sms=False,
    notify_by_push=False,
    notify_by_email=False,
):
    """A party joins the back of the queue with its order. Returns the new Order.

    `notify_by_*`: how the diner chose to be told (a text needs `phone`, an email `email`);
    the phone is stored in E.164, read in the restaurant's region.

    The party is quoted when it is projected to sit down: when a table that fits it frees up
    for it, and not before it can be here (its travel time, or the house default).

    At a restaurant that approves remote joins the party only asks to join (REQUESTED): no
    place and no quote until the host accepts it (accept_join_request). Either way the
    restaurant's cap on the queue's length is checked here, under the restaurant's lock, so
    diners joining at the same moment cannot take it past the cap."""
    return _join(
        restaurant_id, customer_name=customer_name, party_size=party_size, lines=lines,
        phone=phone, email=email, travel_minutes=travel_minutes, submission_key=submission_key,
        notify_by_sms=notify_by_sms, notify_by_push=notify_by_push, notify_by_email=notify_by_email,
    )


def add_party(
    restaurant_id,
    actor,
    *,
    customer_name,
    party_size,
    phone="",
    email="",
    note="",
    travel_minutes=None,
    submission_key="",
):
    """The host puts a guest who walked up or phoned in the queue. The party joins like any
    other (the same sizes, the cap, closed is closed; the same place at the back and the
    same quote, and a page of its own), except that it needs no dishes and no approval (the
    host is the one who approves), and it is marked as added by the host. A guest who gives
    the host a phone number or an email address gives it to be told when to come: they are
    texted or emailed like a diner who chose that. Returns the new Order."""
    return _join(
        restaurant_id, customer_name=customer_name, party_size=party_size, phone=phone,
        email=email, travel_minutes=travel_minutes, submission_key=submission_key,
        host=actor, note=note,
        notify_by_sms=bool((phone or "").strip()), notify_by_email=bool((email or "").strip()),
    )


@dataclass(frozen=True)
class Quote:
    """What a party joining now would be told."""

    party_size: int
    position: int  # its place in line
    wait_minutes: int | None  # None: no table will fit it
    travel_minutes: int  # the trip the quote allowed for


def quote(restaurant_id, party_size, travel_minutes=None, *, by_host=True):
    """The place and wait a party of `party_size`, `travel_minutes` away (None: the house
    default), would be quoted if it joined now without dishes. Reads only. Raises InvalidJoin
    for a size the queue does not take."""
    _check_travel(travel_minutes)
    restaurant = RestaurantProfile.objects.get(pk=restaurant_id)
    size_error = _party_size_error(restaurant, party_size, by_host=by_host)
    if size_error:
        raise InvalidJoin({"party_size": size_error})
    now = clock.now()
    active = timing.active_orders(restaurant)
    plan = timing.plan(restaurant, active, now)
    size_error = _party_size_error(
        restaurant, party_size, by_host=by_host, largest_table=plan.largest_table()
    )
    if size_error:
        raise InvalidJoin({"party_size": size_error})
    travel = restaurant.default_travel_minutes if travel_minutes is None else travel_minutes
    return Quote(
        party_size=party_size,
        position=sum(1 for o in active if o.status == OrderStatus.IN_QUEUE) + 1,
        wait_minutes=plan.newcomer_wait(party_size, travel),
        travel_minutes=travel,
    )


def _join(
    restaurant_id,
    *,
    customer_name,
    party_size,
    lines=(),
    phone="",
    email="",
    travel_minutes=None,
    submission_key="",
    host=None,
    note="",
    notify_by_sms=False,
    notify_by_push=False,
    notify_by_email=False,
):
    """A diner's join (`host` None) or a party the host adds (`host`: who added it)."""
    by_host = host is not None
    submission_key = (submission_key or "").strip()
    phone = (phone or "").strip()
    email = (email or "").strip()
    note = (note or "").strip()
    _check_travel(travel_minutes)
    with transaction.atomic():
        restaurant = _lock_restaurant(restaurant_id)
        if submission_key:
            existing = Order.objects.filter(
                restaurant=restaurant, submission_key=submission_key
            ).first()
            if existing is not None:
                raise DuplicateJoin(existing)
        if not restaurant.accepting_joins:
            raise RestaurantClosed(
                "The queue is closed to new parties: open it first (Queue sign-ups, at the "
                "top of the host stand) to add a party."
                if by_host
                else f"{restaurant.name} is not taking new parties in the queue right now."
            )
        try:
            customer_name, items = _validate_join(
                restaurant, customer_name, party_size, lines, phone, email, submission_key,
                by_host=by_host, note=note,
            )
            errors = {}
        except InvalidJoin as refusal:
            errors = refusal.errors
        contact = _check_contact(
            restaurant,
            Contact(phone, email, bool(notify_by_sms), bool(notify_by_push), bool(notify_by_email)),
            errors,
        )
        if errors:
            raise InvalidJoin(errors)
        waiting_or_asking = Order.objects.filter(
            restaurant=restaurant, status__in=WAITING_STATUSES
        ).count()
        cap = restaurant.max_queue_length
        if cap is not None and waiting_or_asking >= cap:
            many = f"{cap} part{'y' if cap == 1 else 'ies'}"
            raise QueueFull(
                f"The queue is full: it takes {many} at most (Max queue length, in the back "
                "office), and that many are waiting."
                if by_host
                else f"The queue is full right now: {restaurant.name} takes {many} at most, "
                "and that many are waiting. Please try again a little later."
            )
        now = clock.now()
        active = timing.active_orders(restaurant)
        plan = timing.plan(restaurant, active, now)
        size_error = _party_size_error(
            restaurant, party_size, by_host=by_host, largest_table=plan.largest_table()
        )
        if size_error:
            raise InvalidJoin({"party_size": size_error})
        travel = restaurant.default_travel_minutes if travel_minutes is None else travel_minutes
        longest_prep = max((item.estimated_prep_time_minutes for item, _ in items), default=None)
        waiting = sum(1 for o in active if o.status == OrderStatus.IN_QUEUE)
        asking = restaurant.approve_remote_joins and not by_host
        codes_taken = {o.order_code for o in active} | set(
            Order.objects.filter(restaurant=restaurant, status=OrderStatus.REQUESTED)
            .values_list("order_code", flat=True)
        )
        order = Order.objects.create(
            restaurant=restaurant,
            customer_name=customer_name,
            party_size=party_size,
            phone=contact.phone,
            email=contact.email,
            notify_by_sms=contact.sms,
            notify_by_push=contact.push,
            notify_by_email=contact.email_chosen,
            travel_minutes=travel_minutes,
            order_code=_new_order_code(codes_taken),
            submission_key=submission_key,
            queue_position=None if asking else waiting + 1,
            status=OrderStatus.REQUESTED if asking else OrderStatus.IN_QUEUE,
            quoted_wait_minutes=None if asking else plan.newcomer_wait(party_size, travel, longest_prep),
            joined_at=now,
            added_by_host=by_host,
            note=note,
        )
        OrderItem.objects.bulk_create(
            [
                OrderItem(
                    order=order,
                    menu_item=menu_item,
                    quantity=line.quantity,
                    unit_price=menu_item.price,
                    note=(line.note or "").strip(),
                )
                for menu_item, line in items
            ]
        )
        if asking:
            _log(order, "asked_to_join", "", OrderStatus.REQUESTED, None, now)
            _announce(restaurant.pk, [order.pk])
            return order
        if by_host:
            _log(order, "added_by_host", "", OrderStatus.IN_QUEUE, host, now)
        else:
            _log(order, "joined", "", OrderStatus.IN_QUEUE, None, now)
        _quoted(restaurant, order, now)
        signals.party_joined.send(sender=Order, order=order, now=now)
        changed = [order.pk]
        # A free table may be waiting for exactly this party.
        _apply_timing_rules(restaurant, now, changed)
        _announce(restaurant.pk, changed)
    return order


def _quoted(restaurant, order, now, *, save=True):
    """The party was just quoted: remember when it was told it would sit down (the "your wait
    changed" rule measures from there). A quote already within its trip plus the "getting
    close" minutes is itself the heads-up: no separate "getting close" message follows."""
    if order.quoted_wait_minutes is None:
        return
    order.told_seating_at = now + timedelta(minutes=order.quoted_wait_minutes)
    trip = timing.travel_minutes(order, restaurant)
    if order.quoted_wait_minutes <= trip + restaurant.getting_close_minutes:
        order.getting_close_at = now
    if save:
        order.save(update_fields=["told_seating_at", "getting_close_at"])


def _check_travel(travel_minutes):
    if travel_minutes is not None and not 0 <= travel_minutes <= MAX_TRAVEL_MINUTES:
        raise InvalidJoin(
            {"travel_minutes": f"Travel time must be between 0 and {MAX_TRAVEL_MINUTES} minutes."}
        )


def set_travel_minutes(order_id, travel_minutes):
    """The diner says how far away they are ("I'm 15 minutes away"), while still waiting."""
    _check_travel(travel_minutes)
    with transaction.atomic():
        restaurant, order = _lock_order(order_id)
        if order.status != OrderStatus.IN_QUEUE:
            raise IllegalTransition(
                "You have already been told to head over, so your travel time can no longer "
                "change. Please come as soon as you can."
            )
        if order.travel_minutes == travel_minutes:
            return order
        now = clock.now()
        order.travel_minutes = travel_minutes
        order.save(update_fields=["travel_minutes"])
        _log(
            order, "travel_time", order.status, order.status, None, now,
            detail="not given" if travel_minutes is None else f"{travel_minutes} min away",
        )
        changed = [order.pk]
        _apply_timing_rules(restaurant, now, changed)
        _announce(restaurant.pk, changed)
    return order


# ---------------------------------------------------------------------------------------
# The one function that moves a party from one status to the next


SYSTEM = "system"  # the actor of what ReadyTable does by itself (auto notify, auto no-show)


def transition(
    order_id, to_status, *, actor=None, action=None, allowed_from=None, detail="", table_id=None
):
    """Move one order to `to_status`, with every side effect the restaurant expects:
    queue positions close up, tables are taken and freed, times are stamped, an event is
    logged, and the restaurant's timing rules run (auto notify, auto no-show). An illegal
    move raises a QueueError and changes nothing."""
    to_status = OrderStatus(to_status)
    with transaction.atomic():
        restaurant, order = _lock_order(order_id)
        now = clock.now()
        changed = _apply_transition(
            restaurant, order, to_status, actor=actor, action=action,
            allowed_from=allowed_from, detail=detail, table_id=table_id, now=now,
        )
        _apply_timing_rules(restaurant, now, changed)
        _announce(restaurant.pk, changed)
    return order


def _apply_transition(
    restaurant, order, to_status, *, actor, action, allowed_from, detail, table_id, now
):
    """The state machine itself; the caller holds the restaurant's lock. Returns the ids of
    the orders whose screens changed."""
    order.restaurant = restaurant
    from_status = OrderStatus(order.status)
    if not can_transition(from_status, to_status) or (
        allowed_from is not None and from_status not in allowed_from
    ):
        raise IllegalTransition(_refusal(order, from_status, to_status))

    changed = [order.pk]
    if to_status == OrderStatus.READY:
        # Checked before anything moves, so a refusal changes nothing.
        order.table = _table_for(restaurant, order, table_id)
    if to_status == OrderStatus.IN_QUEUE:
        # A request to join accepted: the back of the queue, quoted now.
        _place_in_queue(restaurant, order, now)
    if from_status == OrderStatus.IN_QUEUE:
        changed += _close_gap(restaurant, order.queue_position)
        order.queue_position = None

    if to_status == OrderStatus.AWAITING_ARRIVAL:
        order.notified_at = now
        order.target_arrival_time = now + timedelta(
            minutes=timing.travel_minutes(order, restaurant)
        )
    elif to_status == OrderStatus.PREPARING:
        # Food already marked ready keeps the time it was really fired.
        order.fired_at = order.fired_at or now
    elif to_status == OrderStatus.READY:
        order.seated_at_time = now
        order.actual_wait_minutes = max(0, round((now - order.joined_at).total_seconds() / 60))
    elif to_status == OrderStatus.COMPLETED:
        order.completed_at_time = now
    elif to_status in (OrderStatus.CANCELLED, OrderStatus.NO_SHOW, OrderStatus.DECLINED):
        order.ended_at = now

    order.status = to_status
    order.save()
    if to_status == OrderStatus.READY:
        detail = detail or f"table {order.table.number}"
    _log(order, action or to_status.lower(), from_status, to_status, actor, now, detail)
    if to_status in (OrderStatus.READY, OrderStatus.COMPLETED):
        _sync_room(restaurant)
    _domain_event(order, to_status, action, now)
    return changed


# What a party leaving the evening early is called, by the status it ends in.
_END_REASONS = {OrderStatus.NO_SHOW: "no_show", OrderStatus.DECLINED: "declined"}


def _domain_event(order, to_status, action, now):
    """Announce inside the transaction what happened to the party (orders.signals): a
    listener writes what must follow it (a text, an email) in this same transaction."""
    if to_status == OrderStatus.IN_QUEUE:
        signals.party_joined.send(sender=Order, order=order, now=now)
    elif to_status == OrderStatus.AWAITING_ARRIVAL:
        signals.party_notified.send(sender=Order, order=order, now=now)
    elif to_status == OrderStatus.CANCELLED:
        reason = "left" if action == "left" else "removed"
        signals.party_ended.send(sender=Order, order=order, now=now, reason=reason)
    elif to_status in _END_REASONS:
        signals.party_ended.send(sender=Order, order=order, now=now, reason=_END_REASONS[to_status])


def _place_in_queue(restaurant, order, now):
    active = timing.active_orders(restaurant)
    plan = timing.plan(restaurant, active, now)
    who = f"{order.customer_name} ({order.order_code})"
    if order.party_size > plan.largest_table():
        raise IllegalTransition(
            f"Cannot accept {who}: a party of {order.party_size} and the largest table now "
            f"seats {plan.largest_table()}. Decline them instead."
        )
    longest_prep = max(
        (line.menu_item.estimated_prep_time_minutes for line in order.items.select_related("menu_item")),
        default=None,
    )
    travel = timing.travel_minutes(order, restaurant)
    order.queue_position = sum(1 for o in active if o.status == OrderStatus.IN_QUEUE) + 1
    order.quoted_wait_minutes = plan.newcomer_wait(order.party_size, travel, longest_prep)
    order.joined_at = now
    _quoted(restaurant, order, now, save=False)


def _table_for(restaurant, order, table_id):
    """The table a party sits at: the host's choice, or the smallest free table that fits."""
    free = _free_tables(restaurant)
    who = f"{order.customer_name} ({order.order_code})"
    if table_id is not None:
        table = _restaurant_table(restaurant, table_id, NoFreeTable)
        if not free.filter(pk=table.pk).exists():
            raise NoFreeTable(f"Table {table.number} is taken: choose a free table for {who}.")
        if table.seats < order.party_size:
            raise NoFreeTable(
                f"Table {table.number} seats {table.seats}: too small for {who}."
            )
        return table
    table = free.filter(seats__gte=order.party_size).first()
    if table is None:
        if not free.exists():
            raise NoFreeTable(
                f"{_all_tables(restaurant)} occupied: complete a table "
                f"before seating {who}."
            )
        raise NoFreeTable(
            f"No free table seats {order.party_size}: wait for a bigger table to free up "
            f"before seating {who}, a party of {order.party_size}."
        )
    return table


def _refusal(order, from_status, to_status):
    who = f"{order.customer_name} ({order.order_code})"
    state = OrderStatus(from_status).label.lower()
    verb = _VERBS.get(to_status, "change")
    if from_status == to_status:
        return f"{who} is already {state}."
    return f"Cannot {verb} {who}: the party is {state}."


def _close_gap(restaurant, position):
    """A waiting party left the queue at `position`: everyone behind moves up one."""
    behind = Order.objects.filter(
        restaurant=restaurant, status=OrderStatus.IN_QUEUE, queue_position__gt=position
    )
    ids = list(behind.order_by("queue_position").values_list("pk", flat=True))
    behind.update(queue_position=F("queue_position") - 1)
    return ids


# ---------------------------------------------------------------------------------------
# Timing rules: what ReadyTable does by itself as tables free up and time passes


def _apply_timing_rules(restaurant, now, changed):
    """Release of unconfirmed parties, auto no-show, then auto notify, for a restaurant
    whose lock the caller holds. Appends the ids of the orders it changed to `changed`."""
    release_after = restaurant.release_unconfirmed_after_minutes
    if not (restaurant.auto_notify or restaurant.auto_no_show or release_after):
        return
    active = timing.active_orders(restaurant)
    if release_after:
        _release_unconfirmed(restaurant, active, now, release_after, changed)
    if restaurant.auto_no_show:
        grace = timedelta(minutes=restaurant.arrival_grace_minutes)
        late = [
            o for o in active
            if o.status in HEADING_OVER_STATUSES
            and o.arrived_at is None  # standing at the door waiting for a table is not late
            and o.target_arrival_time is not None
            and now > o.target_arrival_time + grace
        ]
        for order in late:
            changed += _apply_transition(
                restaurant, order, OrderStatus.NO_SHOW, actor=SYSTEM, action="no_show",
                allowed_from=None, detail="did not arrive within the grace period",
                table_id=None, now=now,
            )
        if late:
            if not restaurant.auto_notify:
                # The no-show's table goes to the next party in line.
                head = Order.objects.filter(
                    restaurant=restaurant, status=OrderStatus.IN_QUEUE, queue_position=1
                ).first()
                if head is not None:
                    changed += _apply_transition(
                        restaurant, head, OrderStatus.AWAITING_ARRIVAL, actor=SYSTEM,
                        action="notified", allowed_from=None,
                        detail="next in line after a no-show", table_id=None, now=now,
                    )
            active = timing.active_orders(restaurant)
    if restaurant.auto_notify:
        plan = timing.plan(restaurant, active, now)
        due = sorted(
            (o for o in active if o.status == OrderStatus.IN_QUEUE and plan.is_due(o)),
            key=lambda o: o.queue_position,
        )
        for order in due:
            # Positions close up as each party ahead leaves the queue.
            order.refresh_from_db(fields=["queue_position"])
            changed += _apply_transition(
                restaurant, order, OrderStatus.AWAITING_ARRIVAL, actor=SYSTEM,
                action="notified", allowed_from=None,
                detail=f"table projected free in {plan.table_free_minutes(order)} min",
                table_id=None, now=now,
            )


def _release_unconfirmed(restaurant, active, now, minutes, changed):
    """A party told to head over that has not said it is on its way `minutes` after the call
    loses its projected table, as a party half its grace period late does (timing.plan puts
    it at the back of the line): the next fitting party becomes due. It keeps its place as
    a late party, and is marked a no-show by the usual rule."""
    cutoff = timedelta(minutes=minutes)
    for order in active:
        if (
            order.status in HEADING_OVER_STATUSES
            and order.confirmed_at is None
            and order.arrived_at is None
            and order.released_at is None
            and order.notified_at is not None
            and now >= order.notified_at + cutoff
        ):
            order.released_at = now
            order.save(update_fields=["released_at"])
            _log(
                order, "released", order.status, order.status, SYSTEM, now,
                detail=f"not confirmed {minutes} min after the call",
            )
            changed.append(order.pk)


def _clock_messages(restaurant, now):
    """What the queue clock tells waiting parties as their turn nears: "getting close" once,
    when the projected seating is within the party's trip plus the restaurant's minutes, and
    (if the restaurant wants it) "your wait changed" when the projection moved far from what
    the party was last told, at most once per WAIT_ALERT_EVERY. Each is a domain event
    (orders.signals), sent inside the caller's transaction."""
    active = timing.active_orders(restaurant)
    waiting = [
        o for o in active
        if o.status == OrderStatus.IN_QUEUE
        and (o.getting_close_at is None or restaurant.wait_change_alerts)
    ]
    if not waiting:
        return
    plan = timing.plan(restaurant, active, now)
    for order in sorted(waiting, key=lambda o: o.queue_position):
        order.restaurant = restaurant
        wait = plan.wait_minutes(order)
        if wait is None:
            continue
        trip = timing.travel_minutes(order, restaurant)
        if order.getting_close_at is None and wait <= trip + restaurant.getting_close_minutes:
            order.getting_close_at = now
            order.save(update_fields=["getting_close_at"])
            _log(order, "getting_close", order.status, order.status, SYSTEM, now, f"seated in about {wait} min")
            signals.party_getting_close.send(sender=Order, order=order, now=now, minutes=wait)
            continue
        if not restaurant.wait_change_alerts or order.told_seating_at is None:
            continue
        seat_at = now + timedelta(minutes=wait)
        moved = abs((seat_at - order.told_seating_at).total_seconds()) / 60
        recently = order.wait_alerted_at is not None and now - order.wait_alerted_at < WAIT_ALERT_EVERY
        if moved < restaurant.wait_change_minutes or recently:
            continue
        before = max(0, round((order.told_seating_at - now).total_seconds() / 60))
        order.told_seating_at = seat_at
        order.wait_alerted_at = now
        order.save(update_fields=["told_seating_at", "wait_alerted_at"])
        _log(order, "wait_changed", order.status, order.status, SYSTEM, now, f"{before} -> {wait} min")
        signals.party_wait_changed.send(sender=Order, order=order, now=now, before=before, after=wait)


# "Your wait changed a lot" reaches a party at most this often.
WAIT_ALERT_EVERY = timedelta(minutes=30)


def run_timing_rules(restaurant_id, *, refresh_screens=False):
    """What the queue clock (the run_timers worker, or the simulator) calls as time passes.

    Applies auto no-show and auto notify; with `refresh_screens`, also tells the live screens
    to re-read when nothing changed, since waits and countdowns move with the clock.
    Returns the ids of the orders it changed."""
    with transaction.atomic():
        restaurant = _lock_restaurant(restaurant_id)
        changed = []
        now = clock.now()
        _apply_timing_rules(restaurant, now, changed)
        _clock_messages(restaurant, now)
        if changed or refresh_screens:
            _announce(restaurant.pk, changed)
    return changed


# ---------------------------------------------------------------------------------------
# Named actions: what the buttons on the diner page, host stand and kitchen do


def kitchen_has_it_message(restaurant, order=None):
    """Why a diner can no longer leave from their page, and who to call instead."""
    what = (
        "the kitchen has already started your food"
        if order is None or order.fired_at is not None or order.status == OrderStatus.PREPARING
        else "the kitchen already has your order in hand"
    )
    return (
        f"You can no longer leave the queue from this page: {what}. If you cannot come, "
        f"{call_the_restaurant(restaurant)}."
    )


def leave_queue(order_id):
    """The diner leaves: allowed while waiting or heading over, until the kitchen has their
    ticket in hand or has started their food (then they call the restaurant)."""
    with transaction.atomic():
        restaurant, order = _lock_order(order_id)
        if order.status in (*LEAVABLE_STATUSES, *KITCHEN_STATUSES) and order.kitchen_has_it:
            raise IllegalTransition(kitchen_has_it_message(restaurant, order))
        # In the same transaction: the kitchen cannot start the food in between.
        return transition(
            order_id,
            OrderStatus.CANCELLED,
            actor=None,
            action="left",
            allowed_from=set(LEAVABLE_STATUSES),
        )


# "Running late" moves the target arrival by at most this much after the time asked for.
MAX_LATE_MINUTES = 60


def _heading_over_to_answer(order, doing):
    who = f"{order.customer_name} ({order.order_code})"
    if order.status == OrderStatus.IN_QUEUE or order.status == OrderStatus.REQUESTED:
        raise IllegalTransition(
            "You haven't been called yet: we'll tell you when to head over."
        )
    if order.status not in HEADING_OVER_STATUSES:
        raise IllegalTransition(f"Cannot {doing} for {who}: the party is {order.get_status_display().lower()}.")
    if order.arrived_at is not None:
        raise IllegalTransition(f"{who} is already here.")


def confirm_on_my_way(order_id, via="page"):
    """The party says it is on its way (a button on its page, or a text answering "head
    over now"). Saying it twice changes nothing. Returns the order."""
    with transaction.atomic():
        restaurant, order = _lock_order(order_id)
        _heading_over_to_answer(order, "confirm")
        if order.confirmed_at is not None:
            return order
        now = clock.now()
        order.confirmed_at = now
        order.save(update_fields=["confirmed_at"])
        _log(order, "confirmed", order.status, order.status, None, now, f"on my way ({via})")
        signals.party_answered.send(sender=Order, order=order, now=now, answer="on_my_way", minutes=None, via=via)
        changed = [order.pk]
        _apply_timing_rules(restaurant, now, changed)
        _announce(restaurant.pk, changed)
    return order


def running_late(order_id, minutes, via="page"):
    """The party will be `minutes` later than the time it was asked to be here by: its target
    arrival moves (so the kitchen's fire time and the projection follow), and it counts as a
    confirmation that it is coming. Saying it again restates it from the time first asked
    ("late 10", then "late 15": 15 minutes after that time). Returns the order."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_LATE_MINUTES:
        raise OutOfRange(
            f"Running late takes 1 to {MAX_LATE_MINUTES} minutes; later than that, please "
            "leave the queue and join again when you can come."
        )
    with transaction.atomic():
        restaurant, order = _lock_order(order_id)
        _heading_over_to_answer(order, "move the arrival")
        now = clock.now()
        asked_for = order.notified_at + timedelta(minutes=timing.travel_minutes(order, restaurant))
        order.target_arrival_time = asked_for + timedelta(minutes=minutes)
        order.confirmed_at = order.confirmed_at or now
        order.save(update_fields=["target_arrival_time", "confirmed_at"])
        _log(
            order, "running_late", order.status, order.status, None, now,
            f"{minutes} min late ({via}): due {timezone.localtime(order.target_arrival_time):%H:%M}",
        )
        signals.party_answered.send(sender=Order, order=order, now=now, answer="late", minutes=minutes, via=via)
        changed = [order.pk]
        _apply_timing_rules(restaurant, now, changed)
        _announce(restaurant.pk, changed)
    return order


def set_contact(order_id, *, phone="", email="", sms=False, push=False, email_chosen=False):
    """The diner changes how to be told (on their page): the channels and their addresses,
    checked as on joining. Returns the order."""
    phone, email = (phone or "").strip(), (email or "").strip()
    with transaction.atomic():
        restaurant, order = _lock_order(order_id)
        if order.is_final:
            raise IllegalTransition("Your visit is over: there is nothing more to tell you.")
        errors = {}
        _check_addresses(phone, email, errors)
        contact = _check_contact(restaurant, Contact(phone, email, sms, push, email_chosen), errors)
        if errors:
            raise InvalidJoin(errors)
        now = clock.now()
        order.phone, order.email = contact.phone, contact.email
        order.notify_by_sms, order.notify_by_push, order.notify_by_email = (
            contact.sms, contact.push, contact.email_chosen,
        )
        order.save(update_fields=["phone", "email", "notify_by_sms", "notify_by_push", "notify_by_email"])
        _log(
            order, "contact_changed", order.status, order.status, None, now,
            "tell me by " + (", ".join(order.notify_channels) or "this page only"),
        )
        _announce(restaurant.pk, [order.pk])
    return order


def notify_party(order_id, actor):
    """Tell a party to head over now; the kitchen sees its ticket from here on."""
    return transition(order_id, OrderStatus.AWAITING_ARRIVAL, actor=actor, action="notified")


def notify_next(restaurant_id, actor, expected_order_id=None):
    """Notify the party at the head of the queue.

    The host stand sends the party it showed at the head (`expected_order_id`), so a second
    click, or a second host clicking at the same moment, is refused instead of notifying
    the party behind by surprise."""
    if expected_order_id is not None:
        if not Order.objects.filter(pk=expected_order_id, restaurant_id=restaurant_id).exists():
            raise EmptyQueue("That party is not in this restaurant's queue.")
        return notify_party(expected_order_id, actor)
    head = (
        Order.objects.filter(
            restaurant_id=restaurant_id, status=OrderStatus.IN_QUEUE, queue_position=1
        )
        .values_list("pk", flat=True)
        .first()
    )
    if head is None:
        raise EmptyQueue("Nobody is waiting in the queue.")
    return notify_party(head, actor)


def check_in(order_id, actor):
    """The host checks in a party that walked in before its table is free: it waits in the
    lobby, is never marked a no-show, and is first for the next table that fits."""
    with transaction.atomic():
        restaurant, order = _lock_order(order_id)
        who = f"{order.customer_name} ({order.order_code})"
        if order.status not in HEADING_OVER_STATUSES:
            raise IllegalTransition(
                f"Cannot check in {who}: the party is {order.get_status_display().lower()}."
                + (" Notify them first." if order.status == OrderStatus.IN_QUEUE else "")
            )
        if order.arrived_at is not None:
            raise IllegalTransition(f"{who} is already checked in.")
        now = clock.now()
        order.arrived_at = now
        order.save(update_fields=["arrived_at"])
        _log(order, "arrived", order.status, order.status, actor, now)
        changed = [order.pk]
        _apply_timing_rules(restaurant, now, changed)
        _announce(restaurant.pk, changed)
    return order


def accept_ticket(order_id, actor):
    return transition(order_id, OrderStatus.RECEIVED, actor=actor, action="ticket_received")


def start_preparing(order_id, actor):
    """The kitchen starts cooking a ticket. A party not yet told to come (its food takes
    longer than its trip) keeps its place in the queue: only the firing is recorded."""
    with transaction.atomic():
        restaurant, order = _lock_order(order_id)
        now = clock.now()
        if order.status == OrderStatus.IN_QUEUE:
            if order.fired_at is not None:
                raise IllegalTransition(
                    f"The food of {order.customer_name} ({order.order_code}) is already being "
                    "prepared."
                )
            order.fired_at = now
            order.save(update_fields=["fired_at"])
            _log(order, "fired", order.status, order.status, actor, now, "before the party was called")
            changed = [order.pk]
        else:
            changed = _apply_transition(
                restaurant, order, OrderStatus.PREPARING, actor=actor, action="fired",
                allowed_from=None, detail="", table_id=None, now=now,
            )
        _apply_timing_rules(restaurant, now, changed)
        _announce(restaurant.pk, changed)
    return order


def mark_food_ready(order_id, actor):
    """The kitchen has the food ready for the pass; the party is not necessarily seated."""
    with transaction.atomic():
        restaurant, order = _lock_order(order_id)
        cooking = order.fired_at is not None or order.status in (
            OrderStatus.RECEIVED,
            OrderStatus.PREPARING,
        )
        if order.status not in (OrderStatus.IN_QUEUE, *HEADING_OVER_STATUSES) or not cooking:
            raise IllegalTransition(
                f"Cannot mark the food of {order.customer_name} ({order.order_code}) ready: "
                + (
                    "the kitchen has not started it."
                    if not cooking and not order.is_final and order.status != OrderStatus.READY
                    else f"the party is {order.get_status_display().lower()}."
                )
            )
        if order.food_ready_at is not None:
            raise IllegalTransition(
                f"The food of {order.customer_name} ({order.order_code}) is already ready."
            )
        now = clock.now()
        if order.fired_at is None:
            order.fired_at = now
        order.food_ready_at = now
        order.save(update_fields=["fired_at", "food_ready_at"])
        _log(order, "food_ready", order.status, order.status, actor, now)
        _announce(restaurant.pk, [order.pk])
    return order


def seat_party(order_id, actor, table_id=None):
    """Seat a party that has arrived: at the host's chosen table, or the smallest free table
    that fits it."""
    return transition(
        order_id, OrderStatus.READY, actor=actor, action="seated", table_id=table_id
    )


def complete_party(order_id, actor):
    return transition(order_id, OrderStatus.COMPLETED, actor=actor, action="completed")


def mark_no_show(order_id, actor):
    return transition(
        order_id,
        OrderStatus.NO_SHOW,
        actor=actor,
        action="no_show",
        allowed_from=set(HEADING_OVER_STATUSES),
    )


REMOVABLE_STATUSES = {OrderStatus.IN_QUEUE, *HEADING_OVER_STATUSES}


def remove_party(order_id, actor):
    """The host takes a party off the list (they called to cancel, or were added by mistake)."""
    return transition(
        order_id,
        OrderStatus.CANCELLED,
        actor=actor,
        action="removed",
        allowed_from=REMOVABLE_STATUSES,
    )


def remove_parties(restaurant_id, order_ids, actor):
    """The host removes several parties at once ("Remove selected"): all of them in one
    transaction with one announcement, or, when any of them cannot be removed (seated,
    gone, another restaurant's), none of them. Returns the removed orders, front first."""
    wanted = list(dict.fromkeys(order_ids))
    if not wanted:
        raise OutOfRange("Select at least one party to remove.")
    if len(wanted) > MAX_PARTIES_AT_ONCE:
        raise OutOfRange(f"At most {MAX_PARTIES_AT_ONCE} parties can be removed at once.")
    if not all(isinstance(pk, int) and 0 < pk <= MAX_ID for pk in wanted):
        raise OutOfRange("Unknown party.")
    with transaction.atomic():
        restaurant = _lock_restaurant(restaurant_id)
        orders = list(
            Order.objects.select_for_update().filter(restaurant=restaurant, pk__in=wanted)
        )
        if len(orders) != len(wanted):
            raise IllegalTransition(
                f"Nothing was removed: {len(wanted) - len(orders)} of the selected parties "
                f"{'is' if len(wanted) - len(orders) == 1 else 'are'} not in "
                f"{restaurant.name}'s list any more."
            )
        stuck = [o for o in orders if o.status not in REMOVABLE_STATUSES]
        if stuck:
            names = ", ".join(
                f"{o.customer_name} ({o.order_code}, {o.get_status_display().lower()})" for o in stuck
            )
            raise IllegalTransition(f"Nothing was removed: cannot remove {names}.")
        now = clock.now()
        changed = []
        # From the back of the queue forward: closing each gap then moves up only parties
        # behind it, never one still to be removed, so every position read here stays true.
        orders.sort(key=lambda o: -(o.queue_position or 0))
        for order in orders:
            changed += _apply_transition(
                restaurant, order, OrderStatus.CANCELLED, actor=actor, action="removed",
                allowed_from=REMOVABLE_STATUSES, detail=f"one of {len(orders)} removed together",
                table_id=None, now=now,
            )
        _apply_timing_rules(restaurant, now, changed)
        _announce(restaurant.pk, changed)
    return orders[::-1]


def accept_join_request(order_id, actor):
    """The host lets a party that asked to join into the queue: at the back, quoted now."""
    return transition(order_id, OrderStatus.IN_QUEUE, actor=actor, action="accepted")


def decline_join_request(order_id, actor):
    """The host cannot take a party that asked to join; its page says so."""
    return transition(order_id, OrderStatus.DECLINED, actor=actor, action="declined")


# ---------------------------------------------------------------------------------------
# The room: walk-ins, the tables and their sizes, and the house settings


def _room_event(restaurant, action, actor, now, detail=""):
    RestaurantEvent.objects.create(
        restaurant=restaurant,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        at=now,
        detail=detail[:200],
    )


def _room_changed(restaurant, now):
    """After the tables changed: recount, run the timing rules, announce."""
    _sync_room(restaurant)
    changed = []
    _apply_timing_rules(restaurant, now, changed)
    _announce(restaurant.pk, changed)


def _restaurant_table(restaurant, table_id, refusal):
    table = DiningTable.objects.filter(restaurant=restaurant, pk=table_id).first()
    if table is None:
        raise refusal(f"That table is not in {restaurant.name}.")
    return table


def _set_walk_in(restaurant, table, actor, *, seated, party_size=None):
    """A walk-in sits down at (or leaves) `table`, inside the caller's locked transaction."""
    now = clock.now()
    table.walk_in = seated
    table.walk_in_party_size = party_size if seated else None
    table.walk_in_seated_at = now if seated else None
    table.save(update_fields=["walk_in", "walk_in_party_size", "walk_in_seated_at"])
    action = "walk_in_seated" if seated else "walk_in_left"
    _room_event(restaurant, action, actor, now, f"table {table.number}")
    _room_changed(restaurant, now)


def seat_walk_in(restaurant_id, actor, *, table_id=None, party_size=None):
    """The host seats a party that walked in without the app: at the chosen free table, or
    the smallest free table that fits `party_size` (any free table when it is not given)."""
    if party_size is not None and not 1 <= party_size <= MAX_WALK_IN_PARTY:
        raise OutOfRange(f"A walk-in party has between 1 and {MAX_WALK_IN_PARTY} people.")
    with transaction.atomic():
        restaurant = _lock_restaurant(restaurant_id)
        free = _free_tables(restaurant)
        if table_id is not None:
            table = _restaurant_table(restaurant, table_id, TablesOutOfRange)
            if not free.filter(pk=table.pk).exists():
                raise TablesOutOfRange(f"Table {table.number} is already taken.")
            if party_size is not None and table.seats < party_size:
                raise TablesOutOfRange(
                    f"Table {table.number} seats {table.seats}: too small for {party_size}."
                )
        else:
            table = free.filter(seats__gte=party_size or 1).first()
            if table is None:
                raise TablesOutOfRange(
                    f"{_all_tables(restaurant)} already occupied."
                    if not free.exists()
                    else f"No free table seats {party_size}."
                )
        _set_walk_in(restaurant, table, actor, seated=True, party_size=party_size)
    return table


def walk_in_left(restaurant_id, actor, *, table_id=None):
    """A walk-in party left: its table (or, not given, the walk-in seated longest) is free."""
    with transaction.atomic():
        restaurant = _lock_restaurant(restaurant_id)
        walk_ins = DiningTable.objects.filter(restaurant=restaurant, walk_in=True)
        if table_id is not None:
            table = _restaurant_table(restaurant, table_id, TablesOutOfRange)
            if not table.walk_in:
                raise TablesOutOfRange(
                    f"No walk-in is at table {table.number}; to free a table of a seated "
                    "party, complete that party."
                )
        else:
            table = walk_ins.order_by(F("walk_in_seated_at").asc(nulls_first=True), "number").first()
            if table is None:
                raise TablesOutOfRange(
                    "No walk-in table is occupied; to free a table of a seated party, "
                    "complete that party."
                )
        _set_walk_in(restaurant, table, actor, seated=False)
    return table


MAX_TABLE_SEATS = 30
MAX_TABLES = 200


def set_up_tables(restaurant_id, counts, actor):
    """Make the room have `counts` ({seats: number of tables}) tables of each size: free tables
    are added or taken away; a table in use is never taken away."""
    wanted = {}
    for seats, count in dict(counts).items():
        if not isinstance(seats, int) or not 1 <= seats <= MAX_TABLE_SEATS:
            raise TablesOutOfRange(f"A table seats between 1 and {MAX_TABLE_SEATS} people.")
        if not isinstance(count, int) or count < 0:
            raise TablesOutOfRange("The number of tables of a size cannot be negative.")
        if count:
            wanted[seats] = count
    if not wanted:
        raise TablesOutOfRange("A restaurant needs at least one table.")
    if sum(wanted.values()) > MAX_TABLES:
        raise TablesOutOfRange(f"At most {MAX_TABLES} tables.")
    with transaction.atomic():
        restaurant = _lock_restaurant(restaurant_id)
        tables = list(DiningTable.objects.filter(restaurant=restaurant))
        free_ids = set(_free_tables(restaurant).values_list("pk", flat=True))
        by_size = {}
        for table in tables:
            by_size.setdefault(table.seats, []).append(table)
        to_delete, to_add = [], []
        for seats in set(by_size) | set(wanted):
            have = sorted(by_size.get(seats, []), key=lambda t: -t.number)
            surplus = len(have) - wanted.get(seats, 0)
            if surplus > 0:
                removable = [t for t in have if t.pk in free_ids][:surplus]
                if len(removable) < surplus:
                    raise TablesOutOfRange(
                        f"Cannot take away {surplus} table(s) of {seats}: only "
                        f"{len(removable)} of them are free right now."
                    )
                to_delete += removable
            elif surplus < 0:
                to_add += [seats] * -surplus
        if not to_delete and not to_add:
            return restaurant
        largest_waiting = (
            Order.objects.filter(restaurant=restaurant, status__in=ACTIVE_STATUSES)
            .exclude(status=OrderStatus.READY)
            .order_by("-party_size")
            .values_list("party_size", flat=True)
            .first()
        )
        if largest_waiting and max(wanted) < largest_waiting:
            raise TablesOutOfRange(
                f"A party of {largest_waiting} is in line: keep a table that seats them."
            )
        DiningTable.objects.filter(pk__in=[t.pk for t in to_delete]).delete()
        next_number = max((t.number for t in tables), default=0) + 1
        DiningTable.objects.bulk_create(
            DiningTable(restaurant=restaurant, number=next_number + i, seats=seats)
            for i, seats in enumerate(sorted(to_add))
        )
        now = clock.now()
        summary = ", ".join(f"{n} x {seats}" for seats, n in sorted(wanted.items()))
        _room_event(restaurant, "tables_set_up", actor, now, summary)
        _room_changed(restaurant, now)
    return restaurant


def set_accepting_joins(restaurant_id, accepting, actor):
    with transaction.atomic():
        restaurant = _lock_restaurant(restaurant_id)
        if restaurant.accepting_joins != accepting:
            restaurant.accepting_joins = accepting
            restaurant.save(update_fields=["accepting_joins"])
            _room_event(
                restaurant, "opened_queue" if accepting else "closed_queue", actor, clock.now()
            )
            _announce(restaurant.pk)
    return restaurant


HOUSE_SETTINGS = {
    "auto_notify": bool,
    "auto_no_show": bool,
    "avg_dine_in_duration_minutes": int,
    "default_travel_minutes": int,
    "arrival_grace_minutes": int,
    "notify_buffer_minutes": int,
    "plating_buffer_minutes": int,
}
HOUSE_LIMITS = {
    "avg_dine_in_duration_minutes": (5, 600),
    "default_travel_minutes": (0, MAX_TRAVEL_MINUTES),
    "arrival_grace_minutes": (0, 120),
    "notify_buffer_minutes": (0, 30),
    "plating_buffer_minutes": (0, 30),
}


def update_house_settings(restaurant_id, actor, **values):
    """The host or manager changes how the house runs: automatic notify and no-show, the
    configured average sitting, travel default, grace and buffers."""
    unknown = set(values) - set(HOUSE_SETTINGS)
    if unknown:
        raise TablesOutOfRange(f"Unknown setting: {', '.join(sorted(unknown))}.")
    for name, value in values.items():
        if not isinstance(value, HOUSE_SETTINGS[name]):
            raise TablesOutOfRange(f"{name.replace('_', ' ')} has the wrong kind of value.")
        if name in HOUSE_LIMITS:
            low, high = HOUSE_LIMITS[name]
            if not low <= value <= high:
                label = RestaurantProfile._meta.get_field(name).verbose_name
                raise TablesOutOfRange(f"{label.capitalize()} must be between {low} and {high}.")
    with transaction.atomic():
        restaurant = _lock_restaurant(restaurant_id)
        updates = {k: v for k, v in values.items() if getattr(restaurant, k) != v}
        if not updates:
            return restaurant
        for name, value in updates.items():
            setattr(restaurant, name, value)
        restaurant.save(update_fields=list(updates))
        now = clock.now()
        _room_event(
            restaurant, "settings_changed", actor, now,
            ", ".join(f"{k}={v}" for k, v in sorted(updates.items())),
        )
        _room_changed(restaurant, now)
    return restaurant


def room_fingerprint(restaurant, table_sizes=None):
    """A short digest of the room and timing as they are saved now (tables by size, as
    selectors.table_sizes gives them, and the house settings). A form carries the one it was
    filled in from, so a save made from a form that another save has overtaken can be told
    apart."""
    if table_sizes is None:
        table_sizes = selectors.table_sizes(restaurant)
    seen = [("tables", tuple(table_sizes))]
    seen += [(name, getattr(restaurant, name)) for name in sorted(HOUSE_SETTINGS)]
    return hashlib.sha256(repr(seen).encode()).hexdigest()[:16]


def refuse_if_room_changed(restaurant, seen):
    """Raise RoomChangedMeanwhile unless the room is still as `seen` (a room_fingerprint)."""
    if seen != room_fingerprint(restaurant):
        raise RoomChangedMeanwhile(
            "The room and timing were changed on another screen after this form was "
            "loaded, so nothing was saved. The form now shows what is saved: make your "
            "change again, then save."
        )


def update_room(restaurant_id, actor, *, table_counts, seen=None, **settings):
    """The host stand's "Room and timing" form: tables by size and the house settings,
    in one transaction, so a refusal of either changes neither. `seen` is the
    room_fingerprint the form was filled in from: if the room changed since, nothing is
    saved, so one host never silently undoes another's change."""
    with transaction.atomic():
        restaurant = _lock_restaurant(restaurant_id)
        if seen is not None:
            refuse_if_room_changed(restaurant, seen)
        set_up_tables(restaurant_id, table_counts, actor)
        return update_house_settings(restaurant_id, actor, **settings)


def import_past_sittings(restaurant_id, sittings):
    """Load past visits (party size, seated at, left at) as completed orders, so the dining
    times are learned from day one: for a restaurant moving to ReadyTable with its history,
    and for the simulator. Each visit keeps an event saying it was imported."""
    with transaction.atomic():
        restaurant = _lock_restaurant(restaurant_id)
        for i, (party_size, seated_at, left_at) in enumerate(sittings):
            if left_at <= seated_at:
                raise TablesOutOfRange(f"Past visit {i}: it must end after it starts.")
            order = Order.objects.create(
                restaurant=restaurant,
                customer_name="Past guest",
                party_size=party_size,
                order_code=PAST_VISIT_CODE,
                status=OrderStatus.COMPLETED,
                quoted_wait_minutes=0,
                joined_at=seated_at,
                seated_at_time=seated_at,
                completed_at_time=left_at,
                actual_wait_minutes=0,
            )
            _log(order, "imported", "", OrderStatus.COMPLETED, SYSTEM, seated_at, "past visit")
