"""Internal: play one forecast evening through the simulator with each room it is given, and
print every party's join and seating minutes as JSON. insights.whatif runs it as a child
process, with an in-memory SQLite database of its own, never the restaurant's.

    echo '{"scenario": {...}, "variants": [{"label": "...", "tables": [...]}]}' \\
      | python manage.py insights_play_evening
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from orders import simulation
from orders.management.commands.simulate import throwaway_database


class Command(BaseCommand):
    help = "Internal (insights what-if): play a scenario from standard input with several rooms."

    def handle(self, *args, **options):
        try:
            job = json.loads(sys.stdin.read())
            scenario, variants = job["scenario"], job["variants"]
        except (ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"Expected {{'scenario': ..., 'variants': [...]}} on standard input: {exc}")
        played = {}
        # Tables straight from the models, not by replaying every migration: the database
        # lives for this one process, and it starts seconds sooner.
        connection.settings_dict.setdefault("TEST", {})["MIGRATE"] = False
        with override_settings(LIVE_QUEUE_BROADCAST=False), throwaway_database():
            for variant in variants:
                data = {**scenario, "restaurant": {**scenario["restaurant"], "tables": variant["tables"]}}
                try:
                    parsed = simulation.load_scenario(data, name="what-if")
                except simulation.ScenarioError as exc:
                    raise CommandError(f"{variant['label']}: {exc}") from None
                evening = simulation.Evening(parsed, "readytable")
                evening.play()
                played[variant["label"]] = [
                    (p.spec.join, p.spec.party_size, p.seated, p.no_show)
                    for p in evening.parties.values()
                ]
        self.stdout.write(json.dumps(played))
