"""The pages as production serves them (DEBUG off, collected static files, the strict
Content-Security-Policy), in Chromium: not one CSP violation on any page, the htmx buttons
and the live sockets still work; and on the host stand, ticks in the queue survive a live
push and "Remove selected" asks before it removes."""

import os
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.conftest import STAFF_PASSWORD

from .conftest import ROOT, elsewhere, join_on_a_phone

pytestmark = pytest.mark.django_db(transaction=True)

# Listens before any of the page's own scripts run (Playwright injects it outside the CSP).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory):
    """What the Dockerfile collects at build time."""
    root = tmp_path_factory.mktemp("staticfiles")
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "STATIC_ROOT")}
    env.update(DEBUG="0", SECRET_KEY="build-only-not-secret", STATIC_ROOT=str(root))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT, env=env, check=True, timeout=180,
    )
    return root


@pytest.fixture
def production_server(start_server, collected_static):
    """DEBUG off as in production, over plain http (no TLS here): HSTS and the https redirect
    off, cookies without the Secure flag; everything else as deployed."""
    return start_server(
        DEBUG="0",
        SECRET_KEY="e2e-only-k3V9qL7xT2mN8pR4sW6yZ0bC5dF1gH3jK-not-secret",
        STATIC_ROOT=str(collected_static),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_COOKIES="0",
        SECURE_SSL_REDIRECT="0",
        HSTS_SECONDS="0",
    )


@pytest.fixture
def watched(open_page):
    """`watched(url, ...)`: a page whose CSP violations are recorded (the DOM event and the
    console's report); `violations(page)` reads them. Script errors fail the test anyway
    (open_page)."""
    consoles = {}

    def open_(url, **kwargs):
        page = open_page(**kwargs)
        page.add_init_script(RECORD_VIOLATIONS)
        consoles[page] = []
        # Chromium reports a blocked script, style or socket on the console too ("Refused to
        # ... because it violates the following Content Security Policy directive").
        page.on(
            "console",
            lambda message: consoles[page].append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None,
        )
        page.goto(url)
        return page

    def violations(page):
        return page.evaluate("window.__cspViolations") + consoles[page]

    open_.violations = violations
    return open_


def live(page):
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")


def test_every_page_loads_under_the_production_csp_without_a_violation_and_its_buttons_work(
    production_server, watched, restaurant, menu, staff_user, django_user_model
):
    base = production_server.url
    django_user_model.objects.create_superuser("owner", password="owner-pass-123")

    # The diner joins on the restaurant's page, and their own page goes live.
    join_page = watched(f"{base}/r/{restaurant.slug}/", phone=True)
    response = join_page.request.get(f"{base}/r/{restaurant.slug}/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert watched.violations(join_page) == []
    join_page.get_by_label("Your name").fill("Priya")
    join_page.get_by_label("Party size").fill("2")
    join_page.get_by_label("Quantity of Margherita pizza").fill("1")
    join_page.get_by_role("button", name="Join the queue").click()
    expect(join_page).to_have_url(re.compile(r"/q/[^/]+/$"))
    live(join_page)
    # An htmx form on the diner's page: the travel time.
    join_page.get_by_label("How far away are you? (minutes)").fill("12")
    join_page.get_by_role("button", name="Update my travel time").click()
    expect(join_page.locator("#travel-message")).to_contain_text("12-minute trip")
    assert watched.violations(join_page) == []

    # The staff login, then the host stand: its htmx buttons and its socket.
    host = watched(f"{base}/restaurant/login/")
    assert watched.violations(host) == []
    host.get_by_label("Username").fill(staff_user.username)
    host.get_by_label("Password").fill(STAFF_PASSWORD)
    host.get_by_role("button", name="Log in").click()
    expect(host).to_have_url(re.compile(rf"/restaurant/{restaurant.slug}/host/$"))
    live(host)
    host.get_by_role("button", name=re.compile(r"^Notify next")).click()
    expect(host.locator("#flash")).to_contain_text("told to head over")
    expect(join_page.locator("#order-status")).to_contain_text("Head over now")
    assert watched.violations(host) == []

    # The kitchen display: its ticket's htmx button.
    host.get_by_role("link", name="Kitchen").click()
    live(host)
    host.get_by_role("button", name=re.compile(r"seen: not cooking yet$")).click()
    expect(host.locator("#flash")).to_contain_text("marked as seen")
    assert watched.violations(host) == []

    # The front of house: Add party on the host stand, the QR poster, the lobby board.
    host.get_by_role("link", name="Host stand").click()
    live(host)
    host.get_by_text("Add party").first.click()
    host.get_by_label("Name", exact=True).fill("Dana")
    host.get_by_label("Party size", exact=True).fill("3")
    expect(host.locator("#add-party-quote")).to_contain_text("for 3")
    host.get_by_role("button", name="Add to the queue").click()
    expect(host.get_by_test_id("added-code")).to_be_visible()
    expect(host.locator("#host-queue")).to_contain_text("Dana")
    assert watched.violations(host) == []
    host.get_by_role("link", name="QR poster").click()
    expect(host.locator("#poster-qr svg")).to_be_visible()
    assert watched.violations(host) == []
    board = watched(f"{base}/r/{restaurant.slug}/board/")
    live(board)
    assert watched.violations(board) == []

    # The admin's login page, and the back office behind it.
    admin = watched(f"{base}/admin/login/")
    admin.get_by_label("Username").fill("owner")
    admin.get_by_label("Password").fill("owner-pass-123")
    admin.get_by_role("button", name="Log in").click()
    expect(admin.locator("#site-name")).to_contain_text("ReadyTable back office")
    admin.goto(f"{base}/admin/orders/order/")
    expect(admin.locator("#result_list")).to_contain_text("Priya")
    assert watched.violations(admin) == []
    assert watched.violations(join_page) == []


def test_ticked_parties_stay_ticked_through_a_live_push_and_are_removed_after_a_confirmation(
    app_server, open_page, restaurant, menu, staff_user, staff_session, join
):
    elsewhere(join, "Ana")
    elsewhere(join, "Ben")
    host = open_page(f"{app_server.url}/restaurant/{restaurant.slug}/host/", session=staff_session(staff_user))
    live(host)
    host.get_by_label("Select Ana").check()

    # A diner joins through the server: the queue is pushed to the host stand, whole.
    join_on_a_phone(open_page, app_server.url, restaurant, "Cleo")
    expect(host.locator("#host-queue")).to_contain_text("Cleo")
    expect(host.get_by_label("Select Ana")).to_be_checked()
    expect(host.get_by_label("Select Ben")).not_to_be_checked()
    host.get_by_label("Select Cleo").check()

    host.get_by_role("button", name="Remove selected…").click()
    expect(host.get_by_role("heading", name="Remove 2 parties from the list?")).to_be_visible()
    expect(host.get_by_role("list", name="Parties to remove")).to_contain_text("Ana")
    expect(host.get_by_role("list", name="Parties to remove")).to_contain_text("Cleo")
    host.get_by_role("button", name="Yes, remove 2 parties").click()
    expect(host).to_have_url(re.compile(rf"/restaurant/{restaurant.slug}/host/$"))
    expect(host.get_by_text(re.compile(r"Removed 2 parties: Ana \(\w+\), Cleo"))).to_be_visible()
    expect(host.locator("#host-queue")).to_contain_text("Ben")
    expect(host.locator("#host-queue")).not_to_contain_text("Ana")


def test_the_host_accepts_a_party_that_asked_to_join_and_its_page_shows_its_place(
    app_server, open_page, restaurant, menu, staff_user, staff_session
):
    restaurant.approve_remote_joins = True
    elsewhere(restaurant.save)
    host = open_page(f"{app_server.url}/restaurant/{restaurant.slug}/host/", session=staff_session(staff_user))
    live(host)
    diner = join_on_a_phone(open_page, app_server.url, restaurant, "Dara")
    expect(diner.locator("#order-status")).to_contain_text("host will confirm shortly")
    requests = host.locator("#host-join-requests")
    expect(requests).to_contain_text("Dara")
    requests.get_by_role("button", name="Accept Dara into the queue").click()
    expect(diner.get_by_test_id("position")).to_have_text("#1")
    expect(host.locator("#host-queue")).to_contain_text("Dara")
    expect(requests).not_to_contain_text("Dara")
