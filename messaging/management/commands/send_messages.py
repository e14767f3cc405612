"""The outbox worker: sends due messages (texts, web push, emails) with retries, marks each
sent or failed, and never sends one twice (messaging.worker says how).

    python manage.py send_messages            # every 2 seconds until stopped
    python manage.py send_messages --once     # one pass (cron, tests)

Any number may run (they claim different rows); one is enough for a deployment. It is a
process of its own rather than part of the queue clock (run_timers): a slow mail server or
an SMS provider timing out must never hold up telling parties to head over, nor the other
way round."""

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from messaging import worker

logger = logging.getLogger("messaging.worker")


class Command(BaseCommand):
    help = "Send the outbox's due messages (texts, web push, email) with retries."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between passes (default 2).")
        parser.add_argument("--once", action="store_true", help="One pass, then stop.")
        parser.add_argument("--drain", action="store_true", help="Send until nothing is due, then stop.")

    def handle(self, *args, interval, once, drain, **options):
        interval = interval if interval > 0 else 2.0
        stopping = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.append(True))
        name = worker.worker_name()
        while not stopping:
            try:
                handled = worker.send_due(name)
            except Exception:
                logger.exception("The outbox pass failed; trying again")
                handled = 0
            if once or (drain and not handled):
                return
            close_old_connections()
            if handled:
                continue  # more may be due: no pause while there is work
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.25, deadline - time.monotonic()))
