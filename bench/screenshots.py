#!/usr/bin/env python
"""Screenshots of every ReadyTable screen, from the real app with the demo data, into
docs/screenshots/: the diner's pages at phone size, the staff screens at desktop size (the
host stand also at 1366x768 and 1920x1080), the QR poster, and the lobby board at 1920x1080.

A throwaway SQLite database gets `migrate` and `seed_demo` (and the insights what-if, about
a minute of simulation); the first waiting party is told to head over (so both diner states
can be shown); one daphne process serves the app (as
`make run` does) and Debian's Chromium, driven by Playwright, takes the pictures.

    .venv/bin/python bench/screenshots.py            # or: make screenshots
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1440, "height": 900}, "device_scale_factor": 1}
TABLET = {"viewport": {"width": 1366, "height": 768}, "device_scale_factor": 1}
WIDE = {"viewport": {"width": 1920, "height": 1080}, "device_scale_factor": 1}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(env):
    """Migrate and seed a fresh database; tell the first party to head over. Returns what the
    screenshots need: the restaurant's slug and two diners' addresses."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from django.utils import timezone

    from orders import services
    from orders.models import Order, OrderStatus, RestaurantProfile

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    restaurant = RestaurantProfile.objects.get(slug="trattoria-demo")
    call_command("insights_whatif", restaurant.slug, verbosity=0)
    waiting = list(
        Order.objects.filter(restaurant=restaurant, status=OrderStatus.IN_QUEUE).order_by("queue_position")
    )
    head_over = waiting[0]
    # Messages: three parties chose texts. The one told to head over confirmed by text (its
    # text delivered); a second was called too, but its number is a landline; a third,
    # still waiting, texted something only the host can read.
    from messaging import replies, worker
    from messaging.models import Message, State

    phones = ["+14155550101", "+14155550102", "+14155550103"]
    landline = waiting[2]
    for party, phone in zip([head_over, waiting[1], landline], phones):
        services.set_contact(party.pk, phone=phone, sms=True)
    services.notify_party(head_over.pk, None)
    services.notify_party(landline.pk, None)
    worker.send_due("screenshots")
    Message.objects.filter(order=head_over, kind="head_over").update(state=State.DELIVERED, delivered_at=timezone.now())
    Message.objects.filter(order=landline, kind="head_over").update(
        state=State.FAILED, error_code="30006", error="undelivered: landline", failed_at=timezone.now()
    )
    replies.handle(sid="SMdemo1", from_number=phones[0], to_number="", body="1")
    replies.handle(sid="SMdemo2", from_number=phones[1], to_number="", body="Running 5 min behind, parking is hard!")
    worker.send_due("screenshots")  # the "thanks, see you" reply to the confirmation
    return {
        "slug": restaurant.slug,
        "waiting": waiting[1].get_absolute_url(),
        "head_over": head_over.get_absolute_url(),
    }


def serve(env, port):
    log = tempfile.NamedTemporaryFile(prefix="rt-screenshots-daphne-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit(f"daphne did not start; see {log.name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"Chromium not found at {CHROMIUM} (make browser)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    workdir = Path(tempfile.mkdtemp(prefix="rt-screenshots-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="1",
        SQLITE_PATH=str(workdir / "demo.sqlite3"),
        SMS_BACKEND="file",
        SMS_FILE_PATH=str(workdir / "texts.jsonl"),
        LOG_LEVEL="WARNING",
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        demo = prepare_database(env)
        server = serve(env, port)
        try:
            shoot(base, demo, out)
        finally:
            server.terminate()
            server.wait(10)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def shoot(base, demo, out):
    from playwright.sync_api import expect, sync_playwright

    def live(page):
        expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")

    def save(page, name, full_page=True):
        path = out / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
        print(f"{path}  {page.viewport_size['width']}x{page.viewport_size['height']}  {page.url}")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        phone = browser.new_context(**PHONE)
        page = phone.new_page()
        page.goto(f"{base}/r/{demo['slug']}/")
        save(page, "diner-join")
        page.goto(base + demo["waiting"])
        live(page)
        save(page, "diner-waiting")
        page.goto(base + demo["head_over"])
        live(page)
        expect(page.locator("#order-status")).to_contain_text("Head over now")
        save(page, "diner-head-over-now")

        desktop = browser.new_context(**DESKTOP)
        page = desktop.new_page()
        page.goto(f"{base}/restaurant/login/")
        save(page, "staff-login")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill("admin123")
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{base}/restaurant/{demo['slug']}/host/")
        live(page)
        save(page, "host-stand")
        # The host stand's message states: confirmed by text, a landline, a diner's reply.
        page.locator("#host-heading-over").screenshot(path=str(out / "host-stand-messages.png"), animations="disabled")
        print(out / "host-stand-messages.png")
        page.get_by_text("Add party").first.click()
        page.get_by_label("Name").fill("Dana")
        page.get_by_label("Party size").fill("4")
        page.get_by_label("Minutes away (optional)").fill("0")
        expect(page.locator("#add-party-quote")).to_contain_text("for 4")
        save(page, "host-add-party", full_page=False)
        page.get_by_role("button", name="Add to the queue").click()
        expect(page.get_by_test_id("added-code")).to_be_visible()
        save(page, "host-party-added", full_page=False)
        page.goto(f"{base}/restaurant/{demo['slug']}/kitchen/")
        live(page)
        save(page, "kitchen-display")
        page.goto(f"{base}/restaurant/{demo['slug']}/insights/")
        charts = page.locator("canvas[data-chart]")
        for i in range(charts.count()):
            expect(charts.nth(i)).to_have_attribute("data-drawn", "true")
        save(page, "insights")
        page.goto(f"{base}/restaurant/{demo['slug']}/poster/")
        save(page, "qr-poster")

        tablet = browser.new_context(**TABLET, storage_state=desktop.storage_state())
        page = tablet.new_page()
        page.goto(f"{base}/restaurant/{demo['slug']}/host/")
        live(page)
        save(page, "host-stand-1366x768", full_page=False)

        wide = browser.new_context(**WIDE, storage_state=desktop.storage_state())
        page = wide.new_page()
        page.goto(f"{base}/restaurant/{demo['slug']}/host/")
        live(page)
        save(page, "host-stand-1920x1080", full_page=False)
        page.goto(f"{base}/r/{demo['slug']}/board/")
        live(page)
        save(page, "lobby-board", full_page=False)
        browser.close()


if __name__ == "__main__":
    main()
