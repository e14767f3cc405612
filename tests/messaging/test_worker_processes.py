"""The outbox worker as a process of its own (manage.py send_messages), killed with SIGKILL
at each moment of a send and started again: every message goes out exactly once. And
several workers at once never send one message twice (on PostgreSQL: FOR UPDATE SKIP
LOCKED; on SQLite the claim takes the write lock)."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection

from messaging import outbox
from messaging.models import Message, State
from orders.models import Order

from .conftest import sent_texts

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def worker_environment(texts_file, **extra):
    """This test run's database, for a worker process."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        env["SQLITE_PATH"] = str(db["NAME"])
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings", SMS_BACKEND="file", SMS_FILE_PATH=str(texts_file),
        PUBLIC_BASE_URL="https://queue.example.com", LOG_LEVEL="WARNING", LIVE_QUEUE_BROADCAST="0",
    )
    env.update(extra)
    return env


def start_worker(env, *args):
    return subprocess.Popen(
        [sys.executable, "manage.py", "send_messages", *args], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


def wait_for(marker, process, within=60):
    deadline = time.monotonic() + within
    while not marker.exists():
        assert process.poll() is None, process.stdout.read().decode()
        assert time.monotonic() < deadline, "the worker never got there"
        time.sleep(0.05)
    return marker.read_text()


def lease_runs_out(pk):
    """Time passes beyond the dead worker's lease (rather than the test waiting for it)."""
    row = Message.objects.get(pk=pk)
    Message.objects.filter(pk=pk).update(claimed_until=row.claimed_until - timedelta(hours=1))


@pytest.mark.parametrize(
    "backend, dies_when, state_left",
    [
        ("HangAfterClaiming", "claimed", State.CLAIMED),
        ("HangBeforeTheProviderActs", "sending", State.SENDING),
        ("HangAfterTheProviderActs", "sent", State.SENDING),
    ],
)
def test_a_worker_killed_mid_send_and_restarted_sends_the_text_exactly_once(
    texting, tmp_path, backend, dies_when, state_left
):
    priya = texting("Priya")
    message = Message.objects.get(order=priya)
    texts_file, marker = tmp_path / "texts.jsonl", tmp_path / "marker"
    doomed = start_worker(
        worker_environment(texts_file, SMS_BACKEND=f"tests.messaging.hanging.{backend}", HANG_MARKER=str(marker))
    )
    try:
        assert wait_for(marker, doomed) == dies_when
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
    message.refresh_from_db()
    assert message.state == state_left
    assert len(sent_texts(texts_file)) == (1 if dies_when == "sent" else 0)

    lease_runs_out(message.pk)
    again = start_worker(worker_environment(texts_file), "--drain")
    assert again.wait(60) == 0, again.stdout.read().decode()

    message.refresh_from_db()
    assert message.state == State.SENT and message.provider_id == f"file-{message.pk}"
    assert [t["id"] for t in sent_texts(texts_file)] == [message.pk]


def test_a_worker_restarted_before_the_lease_runs_out_leaves_the_row_alone(texting, tmp_path):
    priya = texting("Priya")
    texts_file, marker = tmp_path / "texts.jsonl", tmp_path / "marker"
    doomed = start_worker(
        worker_environment(texts_file, SMS_BACKEND="tests.messaging.hanging.HangAfterTheProviderActs", HANG_MARKER=str(marker))
    )
    try:
        wait_for(marker, doomed)
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
    again = start_worker(worker_environment(texts_file), "--drain")
    assert again.wait(60) == 0
    assert Message.objects.get(order=priya).state == State.SENDING  # still the dead one's
    assert len(sent_texts(texts_file)) == 1


def test_several_workers_at_once_never_send_a_message_twice(texting, tmp_path, settings):
    settings.MESSAGING_TEXTS_PER_PARTY = 100
    priya = texting("Priya")
    order = Order.objects.select_related("restaurant").get(pk=priya.pk)
    for n in range(59):
        outbox.enqueue(order, "host", note=f"note {n}")
    expected = set(Message.objects.filter(state=State.QUEUED).values_list("pk", flat=True))
    assert len(expected) == 60
    texts_file = tmp_path / "texts.jsonl"
    env = worker_environment(texts_file, MESSAGING_TEXTS_PER_PARTY="100", MESSAGING_RESTAURANT_RATE="1000/h")
    workers = [start_worker(env, "--drain") for _ in range(3)]
    for process in workers:
        assert process.wait(120) == 0, process.stdout.read().decode()
    ids = [t["id"] for t in sent_texts(texts_file)]
    assert sorted(ids) == sorted(expected)  # every one, and none twice
    assert set(Message.objects.values_list("state", flat=True)) == {State.SENT}
