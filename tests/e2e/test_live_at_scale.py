"""In the browser and against real servers: a long queue changes row by row on the host
stand, a burst of page loads never exhausts PostgreSQL's connections, and a staff member
taken off the staff loses the host stand on every server process."""

import os
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest
from django.db import connection
from playwright.sync_api import expect

from tests.conftest import fill_queue

from .conftest import elsewhere, on_postgresql


def is_live(page):
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")


def test_a_host_stand_with_300_waiting_changes_row_by_row_and_stays_small(
    app_server, open_page, restaurant, menu, staff_user, staff_session
):
    parties = elsewhere(fill_queue, restaurant, 300)
    host = open_page(f"{app_server.url}/restaurant/{restaurant.slug}/host/", session=staff_session(staff_user))
    is_live(host)
    expect(host.locator("#queue-head")).to_contain_text("Queue (300)")
    expect(host.locator("#queue-rows > li")).to_have_count(25)
    assert host.evaluate("document.documentElement.outerHTML.length") < 100_000
    # Mark what is on the screen now, to tell afterwards what a push replaced.
    host.evaluate(
        "document.querySelectorAll('#host-tables, #table-cards > li, #queue-rows > li')"
        ".forEach(el => { el.dataset.before = 'yes'; })"
    )

    # The tenth party leaves from their phone.
    diner = open_page(f"{app_server.url}{parties[9].get_absolute_url()}", phone=True)
    diner.get_by_role("link", name="Leave the queue").click()
    diner.get_by_role("button", name="Yes, leave the queue").click()

    expect(host.locator("#queue-head")).to_contain_text("Queue (299)")
    expect(host.locator(f"#queue-{parties[9].pk}")).to_have_count(0)
    expect(host.locator(f"#queue-{parties[25].pk}")).to_contain_text(f"Party 26")
    expect(host.locator("#queue-rows > li")).to_have_count(25)
    untouched = host.evaluate(
        """ids => ids.map(id => document.getElementById(id).dataset.before === 'yes')""",
        [f"queue-{p.pk}" for p in parties[:9]],
    )
    # The nine parties ahead did not move: their rows are the very same elements.
    assert untouched == [True] * 9
    # Nor did the tables.
    assert host.evaluate(
        "[...document.querySelectorAll('#table-cards > li')].every(el => el.dataset.before === 'yes')"
    )
    # Those behind moved up a place: new rows, saying so.
    expect(host.locator(f"#queue-{parties[10].pk}")).to_contain_text("Place 10")
    assert host.evaluate(f"document.getElementById('queue-{parties[10].pk}').dataset.before") is None


@pytest.mark.skipif(not on_postgresql(), reason="counts PostgreSQL's connections")
def test_a_burst_of_page_loads_waits_its_turn_within_the_connection_cap(
    start_server, restaurant, menu
):
    app_name = f"rt-burst-{os.getpid()}"
    server = start_server(MAX_CONCURRENT_REQUESTS="4", LIVE_QUEUE_DB_THREADS="1", PGAPPNAME=app_name)
    elsewhere(fill_queue, restaurant, 40)
    settings_dict = connection.settings_dict
    peak = [0]
    done = threading.Event()

    def count_connections():
        watcher = psycopg2.connect(
            dbname=settings_dict["NAME"], user=settings_dict["USER"],
            host=settings_dict["HOST"] or "127.0.0.1", port=settings_dict["PORT"] or 5432,
            password=settings_dict["PASSWORD"] or None,
        )
        watcher.autocommit = True
        with watcher.cursor() as cursor:
            while not done.is_set():
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [app_name]
                )
                peak[0] = max(peak[0], cursor.fetchone()[0])
                time.sleep(0.02)
        watcher.close()

    def load(_):
        try:
            with urllib.request.urlopen(f"{server.url}/r/{restaurant.slug}/", timeout=120) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    counter = threading.Thread(target=count_connections)
    counter.start()
    try:
        with ThreadPoolExecutor(max_workers=120) as pool:
            statuses = list(pool.map(load, range(120)))
    finally:
        done.set()
        counter.join()

    assert statuses == [200] * 120
    # Four requests at a time, one thread for the live screens, one for sockets' logins.
    assert 1 <= peak[0] <= 4 + 1 + 1
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as answer:
        assert answer.status == 200


@pytest.mark.skipif(
    not (on_postgresql() and os.environ.get("REDIS_URL")),
    reason="two server processes need a shared database and Redis (PostgreSQL + REDIS_URL)",
)
def test_a_host_taken_off_the_staff_loses_the_host_stand_on_every_server(
    start_server, open_page, restaurant, staff_user, staff_session
):
    session = staff_session(staff_user)
    pages = []
    for server in (start_server(), start_server()):
        page = open_page(f"{server.url}/restaurant/{restaurant.slug}/host/", session=session)
        is_live(page)
        pages.append(page)

    elsewhere(restaurant.staff.remove, staff_user)

    for page in pages:
        expect(page.locator("#live-indicator")).to_have_attribute("data-state", "offline", timeout=5_000)
        expect(page.locator("#live-indicator")).to_contain_text("Not allowed")
