"""Work out the insights what-if (the busiest forecast day played through the simulator with
today's tables and one more table of each size) and keep it, as the screen's button does.
For a nightly job, so managers find it ready in the morning:

    python manage.py insights_whatif              # every restaurant with history
    python manage.py insights_whatif trattoria-demo
"""

from django.core.management.base import BaseCommand, CommandError

from insights import whatif
from insights.screen import long_day
from orders.models import RestaurantProfile


class Command(BaseCommand):
    help = "Work out the what-if of the insights screen for some or all restaurants."

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", help="Restaurants (all when none is named).")

    def handle(self, *args, slugs, **options):
        restaurants = RestaurantProfile.objects.order_by("name")
        if slugs:
            restaurants = restaurants.filter(slug__in=slugs)
            missing = set(slugs) - set(restaurants.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"No restaurant at: {', '.join(sorted(missing))}")
        failed = False
        for restaurant in restaurants:
            try:
                run = whatif.run_what_if(restaurant)
            except whatif.WhatIfError as refusal:
                self.stdout.write(f"{restaurant.name}: {refusal.message}")
                failed = failed or refusal.status_code >= 500
                continue
            result = run.result
            best = result["best"] or "no single extra table saves a minute"
            self.stdout.write(
                f"{restaurant.name}: {long_day(run.day)}, {result['parties']} parties forecast; "
                f"best: {best}."
            )
        if failed:
            raise CommandError("The simulator failed for at least one restaurant (see above).")
