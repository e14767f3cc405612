"""Every write to the queue happens here: joining, leaving, notifying, seating, completing,
no-shows, the kitchen's ticket steps and the host's walk-in tables.

Each action runs in one transaction that first locks the restaurant's row, so two hosts, a
kitchen and fifty joining diners are served one at a time per restaurant and positions stay
dense (1..n). After the transaction commits, `signals.queue_changed` announces what changed;
orders/ knows nothing about who listens.
"""

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F

from . import clock, estimates
from .models import (
    ACTIVE_STATUSES,
    HEADING_OVER_STATUSES,
    ORDER_CODE_ALPHABET,
    ORDER_CODE_LENGTH,
    MenuItem,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    RestaurantEvent,
    RestaurantProfile,
)
from .signals import queue_changed

logger = logging.getLogger(__name__)

MAX_ITEM_QUANTITY = 50
MAX_TRAVEL_MINUTES = 180


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


# Which status may follow which. Anything else is refused and changes nothing.
TRANSITIONS = {
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


def _lock_restaurant(restaurant_id):
    return RestaurantProfile.objects.select_for_update().get(pk=restaurant_id)


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
# Estimates against the live database


def room_for(restaurant, seated_times):
    return estimates.Room(
        total_tables=restaurant.total_tables,
        occupied_tables=restaurant.currently_occupied_tables,
        seated_times=tuple(seated_times),
        dining_minutes=restaurant.avg_dine_in_duration_minutes,
    )


def current_quotes(restaurant, active_orders, now):
    """Quotes for a restaurant given its active orders (any iterable of Order rows)."""
    seated_times = []
    heading_over = 0
    waiting = 0
    for order in active_orders:
        if order.status == OrderStatus.READY and order.seated_at_time:
            seated_times.append(order.seated_at_time)
        elif order.status in HEADING_OVER_STATUSES:
            heading_over += 1
        elif order.status == OrderStatus.IN_QUEUE:
            waiting += 1
    return estimates.quote_queue(room_for(restaurant, seated_times), now, heading_over, waiting)


# ---------------------------------------------------------------------------------------
# Joining and leaving


@dataclass(frozen=True)
class LineRequest:
    menu_item_id: int
    quantity: int
    note: str = ""


def _validate_join(restaurant, customer_name, party_size, lines):
    errors = {}
    customer_name = (customer_name or "").strip()
    if not customer_name:
        errors["customer_name"] = "Please tell us a name to call you by."
    if party_size is None or party_size < 1:
        errors["party_size"] = "A party has at least 1 person."
    elif party_size > restaurant.max_party_size:
        errors["party_size"] = (
            f"{restaurant.name} seats parties of up to {restaurant.max_party_size} through the "
            "queue; please call the restaurant for larger groups."
        )
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
            restaurant=restaurant, pk__in=list(wanted), available=True
        )
    }
    if "items" not in errors and set(wanted) - set(menu):
        errors["items"] = "Some of the dishes you picked are not on this restaurant's menu."
    if "items" not in errors and restaurant.order_required and not wanted:
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
):
    """A party joins the back of the queue with its order. Returns the new Order."""
    submission_key = (submission_key or "")[:64]
    if travel_minutes is not None and not 0 <= travel_minutes <= MAX_TRAVEL_MINUTES:
        raise InvalidJoin(
            {"travel_minutes": f"Travel time must be between 0 and {MAX_TRAVEL_MINUTES} minutes."}
        )
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
                f"{restaurant.name} is not taking new parties in the queue right now."
            )
        customer_name, items = _validate_join(restaurant, customer_name, party_size, lines)
        now = clock.now()
        active = list(
            Order.objects.filter(restaurant=restaurant, status__in=ACTIVE_STATUSES).only(
                "status", "seated_at_time", "order_code", "queue_position"
            )
        )
        quotes = current_quotes(restaurant, active, now)
        order = Order.objects.create(
            restaurant=restaurant,
            customer_name=customer_name[:80],
            party_size=party_size,
            phone=(phone or "").strip()[:32],
            email=(email or "").strip(),
            travel_minutes=travel_minutes,
            order_code=_new_order_code({o.order_code for o in active}),
            submission_key=submission_key,
            queue_position=len(quotes.waiting) + 1,
            status=OrderStatus.IN_QUEUE,
            quoted_wait_minutes=quotes.next_joiner,
            joined_at=now,
        )
        OrderItem.objects.bulk_create(
            [
                OrderItem(
                    order=order,
                    menu_item=menu_item,
                    quantity=line.quantity,
                    unit_price=menu_item.price,
                    note=(line.note or "").strip()[:200],
                )
                for menu_item, line in items
            ]
        )
        _log(order, "joined", "", OrderStatus.IN_QUEUE, None, now)
        _announce(restaurant.pk, [order.pk])
    return order


# ---------------------------------------------------------------------------------------
# The one function that moves a party from one status to the next


def transition(order_id, to_status, *, actor=None, action=None, allowed_from=None, detail=""):
    """Move one order to `to_status`, with every side effect the restaurant expects:
    queue positions close up, tables are taken and freed, times are stamped, and an event
    is logged. An illegal move raises IllegalTransition and changes nothing."""
    to_status = OrderStatus(to_status)
    with transaction.atomic():
        order = Order.objects.select_related("restaurant").get(pk=order_id)
        restaurant = _lock_restaurant(order.restaurant_id)
        order = Order.objects.select_for_update().get(pk=order_id)
        order.restaurant = restaurant
        from_status = OrderStatus(order.status)
        if not can_transition(from_status, to_status) or (
            allowed_from is not None and from_status not in allowed_from
        ):
            raise IllegalTransition(_refusal(order, from_status, to_status))

        now = clock.now()
        changed = [order.pk]
        if from_status == OrderStatus.IN_QUEUE:
            changed += _close_gap(restaurant, order.queue_position)
            order.queue_position = None

        if to_status == OrderStatus.AWAITING_ARRIVAL:
            order.notified_at = now
            travel = order.travel_minutes
            if travel is None:
                travel = restaurant.default_travel_minutes
            order.target_arrival_time = now + timedelta(minutes=travel)
        elif to_status == OrderStatus.RECEIVED:
            pass
        elif to_status == OrderStatus.PREPARING:
            # Food already marked ready keeps the time it was really fired.
            order.fired_at = order.fired_at or now
        elif to_status == OrderStatus.READY:
            if restaurant.currently_occupied_tables >= restaurant.total_tables:
                raise NoFreeTable(
                    f"All {restaurant.total_tables} tables are occupied: complete a table "
                    f"before seating {order.customer_name} ({order.order_code})."
                )
            restaurant.currently_occupied_tables += 1
            restaurant.save(update_fields=["currently_occupied_tables"])
            order.seated_at_time = now
        elif to_status == OrderStatus.COMPLETED:
            restaurant.currently_occupied_tables = max(
                0, restaurant.currently_occupied_tables - 1
            )
            restaurant.save(update_fields=["currently_occupied_tables"])
            order.completed_at_time = now
        elif to_status in (OrderStatus.CANCELLED, OrderStatus.NO_SHOW):
            order.ended_at = now

        order.status = to_status
        order.save()
        _log(order, action or to_status.lower(), from_status, to_status, actor, now, detail)
        # Everyone still waiting sees a new estimate after any change.
        _announce(restaurant.pk, changed)
    return order


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
# Named actions: what the buttons on the diner page, host stand and kitchen do


def leave_queue(order_id):
    """The diner leaves: allowed while waiting or heading over, before the kitchen starts."""
    return transition(
        order_id,
        OrderStatus.CANCELLED,
        actor=None,
        action="left",
        allowed_from={OrderStatus.IN_QUEUE, OrderStatus.AWAITING_ARRIVAL},
    )


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


def accept_ticket(order_id, actor):
    return transition(order_id, OrderStatus.RECEIVED, actor=actor, action="ticket_received")


def start_preparing(order_id, actor):
    return transition(order_id, OrderStatus.PREPARING, actor=actor, action="fired")


def mark_food_ready(order_id, actor):
    """The kitchen has the food ready for the pass; the party is not necessarily seated."""
    with transaction.atomic():
        order = Order.objects.select_related("restaurant").get(pk=order_id)
        _lock_restaurant(order.restaurant_id)
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status not in (OrderStatus.RECEIVED, OrderStatus.PREPARING):
            raise IllegalTransition(
                f"Cannot mark the food of {order.customer_name} ({order.order_code}) ready: "
                f"the party is {order.get_status_display().lower()}."
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
        _announce(order.restaurant_id, [order.pk])
    return order


def seat_party(order_id, actor):
    return transition(order_id, OrderStatus.READY, actor=actor, action="seated")


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


def remove_party(order_id, actor):
    """The host takes a party off the list (they called to cancel, or were added by mistake)."""
    return transition(
        order_id,
        OrderStatus.CANCELLED,
        actor=actor,
        action="removed",
        allowed_from={OrderStatus.IN_QUEUE} | set(HEADING_OVER_STATUSES),
    )


# ---------------------------------------------------------------------------------------
# The room


def adjust_walk_in_tables(restaurant_id, delta, actor):
    """The host seats (+1) or clears (-1) a walk-in table the app did not seat."""
    if delta not in (1, -1):
        raise TablesOutOfRange("Walk-in tables change one at a time.")
    with transaction.atomic():
        restaurant = _lock_restaurant(restaurant_id)
        if delta > 0 and restaurant.currently_occupied_tables >= restaurant.total_tables:
            raise TablesOutOfRange(
                f"All {restaurant.total_tables} tables are already occupied."
            )
        if delta < 0:
            seated_by_app = Order.objects.filter(
                restaurant=restaurant, status=OrderStatus.READY
            ).count()
            if restaurant.currently_occupied_tables - seated_by_app <= 0:
                raise TablesOutOfRange(
                    "No walk-in table is occupied; to free a table of a seated party, "
                    "complete that party."
                )
        restaurant.currently_occupied_tables += delta
        restaurant.save(update_fields=["currently_occupied_tables"])
        RestaurantEvent.objects.create(
            restaurant=restaurant,
            action="walk_in_seated" if delta > 0 else "walk_in_left",
            actor=actor if getattr(actor, "pk", None) else None,
            at=clock.now(),
        )
        _announce(restaurant.pk)
    return restaurant


def set_accepting_joins(restaurant_id, accepting, actor):
    with transaction.atomic():
        restaurant = _lock_restaurant(restaurant_id)
        if restaurant.accepting_joins != accepting:
            restaurant.accepting_joins = accepting
            restaurant.save(update_fields=["accepting_joins"])
            RestaurantEvent.objects.create(
                restaurant=restaurant,
                action="opened_queue" if accepting else "closed_queue",
                actor=actor if getattr(actor, "pk", None) else None,
                at=clock.now(),
            )
            _announce(restaurant.pk)
    return restaurant

