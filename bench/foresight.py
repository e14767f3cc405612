#!/usr/bin/env python
"""How much of the lobby wait is the projection's error, and how much the rules': the same
evenings replayed with foresight, a what-if no restaurant has.

ReadyTable projects when each occupied table clears from the restaurant's history (the median
sitting for that party size and time of day). A big party's sitting spreads by 12-14 minutes
either way, so a party called for "its" table sometimes walks in before the table clears.
This replays each evening with the same quote, seating, notify and kitchen rules, but lets the
projection see when each occupied table really clears once it is within LEAD minutes of
clearing, as a floor signal would ("mains served", "bill requested"):

  lead 0    what ships: history only (the same figures as bench/simulate.py)
  lead N    the truth about a table from N minutes before it clears
  lead all  the truth from the moment the party sits down

If the lobby wait falls to about nothing with foresight, the rules (who is called for which
table, and when) are not what keeps parties waiting; the spread of the sittings is. The
simulator's truth (each party's dine_minutes) reaches the projection only through this
script's stand-in for `orders.estimates.table_states`; nothing in orders/ reads it.

    .venv/bin/python bench/foresight.py
    .venv/bin/python bench/foresight.py --leads 0,15,30 --draws 2   # also fresh evenings 1-2
    .venv/bin/python bench/foresight.py --leads all --buffer 0      # call exactly on time
"""

import argparse
import os
import sys
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scenarios"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import generate  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from orders import estimates, simulation  # noqa: E402
from orders.management.commands.simulate import throwaway_database  # noqa: E402
from orders.models import Order, OrderStatus  # noqa: E402

ALL = None  # lead "all": no limit


class ForesightEvening(simulation.Evening):
    """ReadyTable's policy, with the projection told when an occupied table really clears
    once that is at most `lead` minutes away (ALL: always)."""

    def __init__(self, scenario, lead):
        super().__init__(scenario, "readytable")
        self.lead = lead
        self.walk_in_leaves = {}  # table pk -> when its walk-in party really leaves

    def set_up(self):
        super().set_up()
        for minute, leaving in self.departures.items():
            for kind, key in leaving:
                if kind == "walk_in":
                    self.walk_in_leaves[key] = self.at(minute)

    def leave(self, minute):
        for kind, key in self.departures.get(minute, []):
            if kind == "walk_in":
                self.walk_in_leaves.pop(key, None)
        super().leave(minute)

    def true_clearing(self, occupied):
        """{table pk: when it really clears} for the occupied tables the projection sees
        (rows of (table pk, seats, party size, seated at))."""
        seated = dict(
            Order.objects.filter(
                table_id__in=[key for key, *_ in occupied], status=OrderStatus.READY
            ).values_list("table_id", "pk")
        )
        clearing = {}
        for key, _seats, _size, seated_at in occupied:
            if key in seated and seated_at is not None:
                dine = self.parties[seated[key]].spec.dine_minutes
                clearing[key] = seated_at + timedelta(minutes=dine)
            elif key in self.walk_in_leaves:
                clearing[key] = self.walk_in_leaves[key]
        return clearing

    @contextmanager
    def foresight(self):
        history_only = estimates.table_states

        def table_states(occupied, free, dining_times, now):
            states = history_only(occupied, free, dining_times, now)
            clearing = self.true_clearing(occupied)
            known = {
                key: max(now, at) for key, at in clearing.items()
                if self.lead is ALL or at - timedelta(minutes=self.lead) <= now
            }
            return [
                estimates.TableState(s.key, s.seats, known[s.key]) if s.key in known else s
                for s in states
            ]

        with mock.patch.object(estimates, "table_states", table_states):
            yield

    def play(self):
        with self.foresight():
            return super().play()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", default="0,10,20,30,all",
                        help="minutes of foresight to try, 'all' for the whole sitting")
    parser.add_argument("--draws", type=int, default=0,
                        help="also fresh evenings 1..N of each kind (default: the shipped ones only)")
    parser.add_argument("--buffer", type=int, default=None,
                        help="notify buffer in minutes (default: each scenario's own, 3)")
    args = parser.parse_args()
    leads = [ALL if lead == "all" else int(lead) for lead in args.leads.split(",")]

    print(f"{'evening':<28}{'lead':>6}{'lobby':>8}{'idle':>8}{'food %':>8}{'quote err':>11}")
    with override_settings(LIVE_QUEUE_BROADCAST=False), throwaway_database():
        for kind, make in generate.SCENARIOS.items():
            for draw in range(0, args.draws + 1):
                scenario = simulation.load_scenario(make(draw), kind)
                if args.buffer is not None:
                    scenario.notify_buffer_minutes = args.buffer
                name = kind if draw == 0 else f"{kind} draw {draw}"
                for lead in leads:
                    report = ForesightEvening(scenario, lead).play()
                    print(
                        f"{name:<28}{'all' if lead is ALL else lead:>6}"
                        f"{report['mean_lobby_wait_minutes']:>8.2f}"
                        f"{report['mean_table_idle_minutes']:>8.2f}"
                        f"{report['food_ready_at_seating_pct']:>8.1f}"
                        f"{report['quote_mae_minutes']:>11.2f}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
