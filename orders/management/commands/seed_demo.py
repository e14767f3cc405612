"""Load a demo restaurant with a menu, a room of 2-, 4- and 6-tops, two months of past
service (parties who joined, were quoted, waited, sat down, ate their pre-ordered food and
left, and some who gave up or never came), a few seated and waiting parties, and the demo
login admin / admin123. The only place in ReadyTable that creates a known password."""

import math
import random
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from orders import clock, services
from orders.models import (
    ORDER_CODE_ALPHABET,
    DiningTable,
    MenuItem,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    RestaurantProfile,
)

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "admin123"

MENU = [
    ("Burrata salad", "Heirloom tomatoes, basil oil, sourdough crumbs", "12.00", 6, "STARTER"),
    ("Margherita pizza", "San Marzano tomato, fior di latte, basil", "14.50", 12, "MAIN"),
    ("Spicy salami pizza", "Tomato, mozzarella, spianata, chilli honey", "16.00", 13, "MAIN"),
    ("Rigatoni alla vodka", "Tomato, cream, chilli, parmesan", "15.50", 14, "MAIN"),
    ("Wild mushroom risotto", "Carnaroli, porcini, thyme, aged parmesan", "17.00", 20, "MAIN"),
    ("Chicken Milanese", "Crumbed chicken, rocket, lemon", "19.50", 18, "MAIN"),
    ("Tiramisu", "Espresso-soaked savoiardi, mascarpone", "8.00", 3, "DESSERT"),
    ("House lemonade", "Fresh lemons, mint", "4.50", 2, "DRINK"),
]

# (minutes ago, name, party size) of the parties already at their tables.
SEATED = [
    (45, "Oliveira", 2),
    (38, "Haddad", 4),
    (30, "Nakamura", 2),
    (22, "Brennan", 3),
    (15, "Mensah", 2),
    (8, "Kowalski", 4),
]

# Tables by size: four 2-tops, four 4-tops, two 6-tops.
ROOM = {2: 4, 4: 4, 6: 2}
WALK_INS = [(25, 4)]  # (minutes ago, party size)

# Past service (fixed seed, so every demo is the same), for the insights screen and the
# learned sittings: HISTORY_DAYS days before today, closed on Mondays.
HISTORY_DAYS = 60
# Parties joining the queue per hour on an ordinary day (lunch and dinner)...
HOURLY = {12: 3.5, 13: 4.5, 14: 1.5, 18: 4, 19: 8, 20: 7.5, 21: 3.5, 22: 1}
# ...and how busy each weekday is (Monday closed; Sunday lunch is the big one).
WEEKDAY = {2: 0.6, 3: 0.7, 4: 0.85, 5: 1.25, 6: 1.45, 7: 1.0}  # isoweekday: 2 is Tuesday
SUNDAY_LUNCH = 1.5
WEEKLY_GROWTH = 0.01  # a restaurant getting known: 1% more parties every week
PARTY_SIZES = {1: 3, 2: 46, 3: 12, 4: 25, 5: 7, 6: 7}
# Minutes at the table by size (couples 45, 3-4 about an hour, 5-6 about 80), longer at the
# weekend's dinners.
STAY = {1: 40, 2: 45, 3: 60, 4: 62, 5: 80, 6: 84}
MAINS = {
    "Margherita pizza": 26, "Spicy salami pizza": 18, "Rigatoni alla vodka": 20,
    "Wild mushroom risotto": 12, "Chicken Milanese": 14, "Burrata salad": 10,
}
# The risotto really takes a third longer than the menu says (a finding waiting to be found).
PREP_FACTOR = {"Wild mushroom risotto": 1.3}
TRAVEL = 10
NO_SHOW_RATE = 0.04

GUESTS = [
    "Silva", "Okafor", "Larsen", "Moreau", "Rossi", "Tanaka", "Novak", "Byrne", "Costa", "Ahmed",
    "Keller", "Santos", "Fischer", "Dubois", "Murphy", "Nguyen", "Petrov", "Haddad", "Lopez", "Berg",
]

WAITING = [
    ("Priya", 2, {"Margherita pizza": 1, "Burrata salad": 1}),
    ("Jonas", 4, {"Spicy salami pizza": 2, "Rigatoni alla vodka": 2}),
    ("Amelia", 3, {"Wild mushroom risotto": 1, "Chicken Milanese": 2}),
    ("Kenji", 2, {"Rigatoni alla vodka": 1, "Tiramisu": 2}),
]


class Command(BaseCommand):
    help = "Create the demo restaurant, menu and parties, and the demo login admin / admin123."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates the login admin / admin123 and refuses to run with DEBUG off. "
                "Use --force only on a throwaway demo machine."
            )
        with transaction.atomic():
            restaurant, created = RestaurantProfile.objects.get_or_create(
                slug="trattoria-demo",
                defaults={
                    "name": "Trattoria Demo",
                    "total_tables": 0,  # the room is set up by size below
                    "max_party_size": 6,
                    "avg_dine_in_duration_minutes": 50,
                    "arrival_grace_minutes": 10,
                    "default_travel_minutes": 10,
                    "address": "12 Market Street, Springfield",
                    "phone": "555 0142",
                },
            )
            user = self._demo_user()
            restaurant.staff.add(user)
            if not created:
                self.stdout.write("Demo restaurant already exists; left as it is.")
                return
            services.set_up_tables(restaurant.pk, ROOM, "demo")
            items = {
                name: MenuItem.objects.create(
                    restaurant=restaurant,
                    name=name,
                    description=description,
                    price=price,
                    estimated_prep_time_minutes=prep,
                    course=course,
                )
                for name, description, price, prep, course in MENU
            }
            write_past_service(restaurant, items)
        self._play_the_evening(restaurant, items)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo restaurant '{restaurant.name}' ready. Staff login: "
                f"{DEMO_USERNAME} / {DEMO_PASSWORD}"
            )
        )

    def _demo_user(self):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def _play_the_evening(self, restaurant, items):
        """Seat most tables at staggered times, then let four parties join the queue."""
        start = clock.now() - timedelta(minutes=45)
        manual = clock.ManualClock(start)
        with clock.use(manual):
            for minutes_ago, name, size in SEATED:
                manual.set(start + timedelta(minutes=45 - minutes_ago))
                order = services.join_queue(
                    restaurant.pk,
                    customer_name=name,
                    party_size=size,
                    lines=[services.LineRequest(items["Margherita pizza"].pk, size)],
                )
                services.notify_party(order.pk, "demo")
                services.seat_party(order.pk, "demo")
            for minutes_ago, size in WALK_INS:
                manual.set(start + timedelta(minutes=45 - minutes_ago))
                services.seat_walk_in(restaurant.pk, "demo", party_size=size)
            manual.set(start + timedelta(minutes=45))
            for name, size, lines in WAITING:
                services.join_queue(
                    restaurant.pk,
                    customer_name=name,
                    party_size=size,
                    lines=[services.LineRequest(items[dish].pk, qty) for dish, qty in lines.items()],
                )
                manual.advance(timedelta(minutes=1))
            # A couple who walked up: the host put them in the queue.
            services.add_party(
                restaurant.pk, "demo", customer_name="Walk-up Rossi", party_size=2,
                note="Would like a window table", travel_minutes=0,
            )


def write_past_service(
    restaurant, items, *, days=HISTORY_DAYS, busyness=1.0, weekly_growth=WEEKLY_GROWTH, seed=2026, log=True
):
    """`days` days of past service before today, written straight to the database in a few
    bulk inserts (so seeding stays quick): each day's parties join, are quoted, wait for a
    table in the restaurant's room, and either sit down, give up or never come. `busyness`
    scales how many parties come and `weekly_growth` how fast that grows (bench/insights.py
    loads a busy restaurant's year with them).
    `items`: the menu by dish name. Returns the number of parties written."""
    rng = random.Random(seed)
    tz = timezone.get_current_timezone()
    today = clock.now().astimezone(tz).date()
    tables = list(DiningTable.objects.filter(restaurant=restaurant).order_by("seats", "number"))
    orders, lines = [], []
    for days_ago in range(days, 0, -1):
        day = today - timedelta(days=days_ago)
        if day.isoweekday() == 1:
            continue  # closed on Mondays
        growth = busyness * (1 + weekly_growth * (days - days_ago) / 7)
        free_at = {t.pk: None for t in tables}
        for joined in _arrivals(rng, day, tz, growth):
            order, order_lines = _party(rng, joined, tables, free_at, items)
            for line in order_lines:
                line.order = order
            orders.append(order)
            lines.append(order_lines)
    Order.objects.bulk_create(orders, batch_size=1000)  # the orders get their keys here
    OrderItem.objects.bulk_create([line for order_lines in lines for line in order_lines], batch_size=2000)
    if log:
        # The log says where these parties came from, as import_past_sittings' entries do.
        OrderEvent.objects.bulk_create(
            [
                OrderEvent(order=order, action="imported", to_status=order.status, actor_label="demo",
                           at=order.joined_at, detail="demo history")
                for order in orders
            ],
            batch_size=2000,
        )
    return len(orders)


def _arrivals(rng, day, tz, growth):
    """When each party of the day joined the queue, in order."""
    moments = []
    for hour, rate in HOURLY.items():
        busy = WEEKDAY[day.isoweekday()] * growth
        if day.isoweekday() == 7 and hour < 15:
            busy *= SUNDAY_LUNCH
        # Poisson arrivals: exponential gaps through the hour.
        minute = rng.expovariate(rate * busy) * 60
        while minute < 60:
            start = datetime.combine(day, time(hour), tzinfo=tz)
            moments.append(start + timedelta(minutes=minute))
            minute += rng.expovariate(rate * busy) * 60
    return sorted(moments)

def _party(rng, joined, tables, free_at, items):
    """One past party, seated at the table that frees first (the smallest on a tie), or
    gone: (Order, [OrderItem]) with every time the app would have stored."""
    size = rng.choices(list(PARTY_SIZES), weights=PARTY_SIZES.values())[0]
    weekend_dinner = joined.isoweekday() in (5, 6) and joined.hour >= 18
    dishes = {}
    for _ in range(size):
        main = rng.choices(list(MAINS), weights=MAINS.values())[0]
        dishes[main] = dishes.get(main, 0) + 1
    if rng.random() < 0.4:
        dishes["House lemonade"] = rng.randint(1, size)
    if rng.random() < 0.3:
        dishes["Tiramisu"] = rng.randint(1, max(1, size // 2))
    slowest = max(items[d].estimated_prep_time_minutes for d in dishes)
    fitting = [t for t in tables if t.seats >= size]
    table = min(fitting, key=lambda t: (free_at[t.pk] or joined, t.seats))
    table_free = max(joined, free_at[table.pk] or joined)
    ready_by = joined + timedelta(minutes=slowest + 2)
    planned = max(joined + timedelta(minutes=TRAVEL + 2), table_free, ready_by)
    wait = (planned - joined).total_seconds() / 60
    # The quote: the real wait, give or take, and short at busy weekend dinners.
    bias = 4 if weekend_dinner and wait > 20 else 0
    quoted = max(0, round(wait - bias + rng.gauss(0, 4)))
    code = "".join(rng.choices(ORDER_CODE_ALPHABET, k=4))
    order = Order(
        restaurant_id=table.restaurant_id, customer_name=rng.choice(GUESTS), party_size=size,
        order_code=code, quoted_wait_minutes=quoted, joined_at=joined, travel_minutes=None,
    )
    lines = [
        OrderItem(menu_item=items[d], quantity=q, unit_price=items[d].price) for d, q in dishes.items()
    ]
    # Longer quotes lose more diners: 3% at 10 minutes, about a third at an hour.
    gives_up = 1 / (1 + math.exp(-(quoted - 62) / 12))
    if rng.random() < gives_up:
        order.status = OrderStatus.CANCELLED
        order.ended_at = joined + timedelta(minutes=rng.randint(5, max(6, min(quoted, 40))))
        return order, lines
    notified = max(joined, planned - timedelta(minutes=TRAVEL + 3))
    order.notified_at = notified
    order.target_arrival_time = notified + timedelta(minutes=TRAVEL)
    # The kitchen mostly fires on time; at busy weekend dinners a quarter of tickets slip.
    late_kitchen = rng.random() < (0.25 if weekend_dinner else 0.08)
    fire_at = order.target_arrival_time - timedelta(minutes=slowest + 2)
    slip = rng.randint(1, 6) if late_kitchen else rng.randint(-2, 0)
    order.fired_at = max(joined, fire_at + timedelta(minutes=slip))
    if rng.random() < NO_SHOW_RATE:
        order.status = OrderStatus.NO_SHOW
        order.ended_at = order.target_arrival_time + timedelta(minutes=10)
        if rng.random() < 0.5:
            order.fired_at = None  # the kitchen had not started it yet
        # The table waits for them until the grace period is over.
        free_at[table.pk] = max(table_free, order.ended_at)
        return order, lines
    arrived = notified + timedelta(minutes=max(2, round(rng.gauss(TRAVEL, 3))))
    prep = max(
        items[d].estimated_prep_time_minutes * PREP_FACTOR.get(d, 1.0) for d in dishes
    ) * rng.uniform(0.9, 1.1)
    food_ready = order.fired_at + timedelta(minutes=prep)
    seated = max(arrived, table_free)
    if food_ready > seated and rng.random() < 0.7:
        seated = food_ready  # the host holds the party at the door for its food
    stay = STAY[size] * (1.1 if weekend_dinner else 1.0) * rng.lognormvariate(0, 0.15)
    order.status = OrderStatus.COMPLETED
    order.arrived_at = arrived if arrived < seated - timedelta(minutes=1) else None
    order.seated_at_time = seated
    order.table = table
    order.actual_wait_minutes = max(0, round((seated - joined).total_seconds() / 60))
    order.food_ready_at = food_ready
    order.completed_at_time = seated + timedelta(minutes=max(20, stay))
    free_at[table.pk] = order.completed_at_time
    return order, lines
