"""The queue clock: as time passes, apply each restaurant's timing rules (release parties that
did not confirm in time, tell parties to head over, mark no-shows), tell waiting parties
their turn is getting close or their wait changed a lot (domain events messaging/ turns into
texts, pushes and emails), and, once a minute, tell the live screens to re-read, since waits,
"waited 12 min" and fire countdowns move with the clock even when nobody clicks.

    python manage.py run_timers            # every 15 seconds until stopped
    python manage.py run_timers --once     # one pass (cron, tests)

One worker is enough for any number of web processes; two are harmless (each pass locks the
restaurant it works on, and a rule already applied finds nothing left to do).
"""

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from orders import clock, selectors, services

logger = logging.getLogger("orders.timers")


class Command(BaseCommand):
    help = (
        "Apply the timing rules (release, auto notify, auto no-show) and the getting-close and "
        "wait-changed messages as time passes; refresh live screens each minute."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=15.0, help="Seconds between passes (default 15)."
        )
        parser.add_argument("--once", action="store_true", help="Run one pass and stop.")

    def handle(self, *args, interval, once, **options):
        if interval <= 0:
            interval = 15.0
        stopping = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.append(True))
        last_minute = None
        while not stopping:
            minute = clock.now().replace(second=0, microsecond=0)
            changed = self.one_pass(refresh_screens=minute != last_minute)
            last_minute = minute
            if changed:
                self.stdout.write(f"{minute:%H:%M} timing rules changed {changed} part{'y' if changed == 1 else 'ies'}")
            if once:
                return
            # Between passes, as between requests: drop a connection the database closed.
            close_old_connections()
            # Sleep in short steps so a stop signal ends the worker promptly.
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.5, deadline - time.monotonic()))

    def one_pass(self, *, refresh_screens):
        changed = 0
        for restaurant_id in selectors.restaurants_with_active_parties():
            try:
                changed += len(
                    services.run_timing_rules(restaurant_id, refresh_screens=refresh_screens)
                )
            except Exception:
                # One restaurant's trouble must not stop the clock for the others.
                logger.exception("Timing rules failed for restaurant %s", restaurant_id)
        return changed
