"""Load a demo restaurant with a menu, a room of 2-, 4- and 6-tops, a month of past
sittings to learn from, a few seated and waiting parties, and the demo login
admin / admin123. The only place in ReadyTable that creates a known password."""

import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from orders import clock, services
from orders.models import MenuItem, RestaurantProfile

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
# A month of past visits (fixed seed, so every demo is the same): couples stay about 45
# minutes, parties of 3-4 about 60, larger ones about 80.
HISTORY_VISITS = 240
WALK_INS = [(25, 4)]  # (minutes ago, party size)

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
            services.import_past_sittings(restaurant.pk, self._past_month())
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

    def _past_month(self):
        rng = random.Random(2026)
        today = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        visits = []
        for _ in range(HISTORY_VISITS):
            size = rng.choice([2, 2, 2, 3, 4, 4, 5, 6])
            typical = 45 if size <= 2 else 60 if size <= 4 else 80
            seated = today - timedelta(days=rng.randint(1, 30), minutes=-rng.randint(17 * 60, 22 * 60))
            stay = max(20, round(rng.gauss(typical, typical * 0.15)))
            visits.append((size, seated, seated + timedelta(minutes=stay)))
        return visits

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
