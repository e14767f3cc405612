"""Replay a whole service from a scenario file on a throwaway database and print how well it
went: quote accuracy, lobby waits, idle tables and food ready at seating.

    python manage.py simulate scenarios/friday-rush.json
    python manage.py simulate scenarios/friday-rush.json --policy seed --json
    python manage.py simulate scenarios/friday-rush.json --policy both

The throwaway database is made and dropped with Django's test-database machinery: an
in-memory SQLite database on the default set-up, a database of its own on PostgreSQL. The
restaurant's real data is never touched.
"""

import contextlib
import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from orders import simulation

LABELS = {
    "parties": "Parties",
    "seated": "Seated",
    "no_shows": "No-shows",
    "quote_mae_minutes": "Quote error, mean (min)",
    "quote_p90_abs_error_minutes": "Quote error, 90th percentile (min)",
    "mean_lobby_wait_minutes": "Lobby wait, mean (min)",
    "mean_table_idle_minutes": "Idle freed table, mean (min)",
    "food_ready_at_seating_pct": "Food ready at seating (%)",
    "mean_wait_minutes": "Wait joined to seated, mean (min)",
    "released": "Released (not confirmed in time)",
}

# ReadyTable's targets against the seed on the same scenario (README "Simulator").
TARGETS = {
    "quote_mae_vs_seed": ("quote_mae_minutes", lambda rt, seed: rt <= 0.4 * seed, "<= 40% of seed"),
    "lobby_wait": ("mean_lobby_wait_minutes", lambda rt, seed: rt < 2, "< 2 min"),
    "table_idle": ("mean_table_idle_minutes", lambda rt, seed: rt < 3, "< 3 min"),
    "food_ready": ("food_ready_at_seating_pct", lambda rt, seed: rt >= 90, ">= 90%"),
}


def targets_met(readytable, seed):
    """{target: (met, readytable figure, what the target is)} for one scenario."""
    return {
        name: (bool(check(readytable[key], seed[key])), readytable[key], text)
        for name, (key, check, text) in TARGETS.items()
    }


@contextlib.contextmanager
def throwaway_database():
    """Point the default connection at a new, migrated database; drop it afterwards."""
    settings_dict = connection.settings_dict
    old_name = settings_dict["NAME"]
    test = settings_dict.setdefault("TEST", {})
    saved = dict(test)
    test["NAME"] = (
        ":memory:" if connection.vendor == "sqlite" else f"readytable_simulate_{os.getpid()}"
    )
    try:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            yield
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    finally:
        test.clear()
        test.update(saved)


class Command(BaseCommand):
    help = "Replay a service from a scenario JSON file and report quote accuracy and waits."

    def add_arguments(self, parser):
        parser.add_argument("scenario", help="Path to a scenario JSON file (see README).")
        parser.add_argument(
            "--policy",
            choices=[*simulation.POLICIES, "both"],
            default="readytable",
            help="readytable (default), seed (the original description's rules), or both "
            "side by side with the targets checked.",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument(
            "--release-after", type=int, default=None, metavar="MINUTES",
            help="Release parties that have not confirmed this many minutes after the call "
            "(the restaurant setting; 0 turns it off; default: what the scenario says).",
        )

    def handle(self, *args, scenario, policy, **options):
        path = Path(scenario)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise CommandError(f"No scenario file at {path}.") from None
        except ValueError as exc:
            raise CommandError(f"{path} is not valid JSON: {exc}") from None
        try:
            parsed = simulation.load_scenario(data, name=path.stem)
        except simulation.ScenarioError as exc:
            raise CommandError(f"{path}: {exc}") from None
        if options["release_after"] is not None:
            if not 0 <= options["release_after"] <= 120:
                raise CommandError("--release-after takes 0 (off) to 120 minutes.")
            parsed.release_after = options["release_after"] or None

        policies = simulation.POLICIES if policy == "both" else (policy,)
        reports = {}
        with override_settings(LIVE_QUEUE_BROADCAST=False), throwaway_database():
            for name in policies:
                reports[name] = simulation.run(parsed, name)

        result = dict(reports[policies[0]])
        result["scenario"] = path.stem
        if policy == "both":
            result["seed"] = reports["seed"]
            result["targets"] = {
                name: {"met": met, "value": value, "target": text}
                for name, (met, value, text) in targets_met(
                    reports["readytable"], reports["seed"]
                ).items()
            }
        if options["json"]:
            self.stdout.write(json.dumps(result, sort_keys=True))
            return
        self.print_report(path.stem, reports, result.get("targets"))

    def print_report(self, name, reports, targets):
        policies = list(reports)
        width = max(len(label) for label in LABELS.values())
        self.stdout.write(f"Scenario {name}")
        self.stdout.write(f"{'':<{width}}  " + "  ".join(f"{p:>11}" for p in policies))
        for key, label in LABELS.items():
            row = "  ".join(f"{reports[p][key]:>11}" for p in policies)
            self.stdout.write(f"{label:<{width}}  {row}")
        if targets:
            self.stdout.write("Targets (ReadyTable):")
            for target, info in targets.items():
                mark = "met" if info["met"] else "MISSED"
                self.stdout.write(f"  {target:<18} {info['target']:<16} {info['value']:>8}  {mark}")
