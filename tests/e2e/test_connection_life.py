"""The live pages when the server goes away and comes back, when the server closes a socket
on its own, and with two server processes sharing one Redis and one PostgreSQL."""

import os
import re
import signal

import pytest
from playwright.sync_api import expect

from orders import services

from .conftest import elsewhere, join_on_a_phone, on_postgresql

pytestmark = pytest.mark.django_db(transaction=True)

NOTIFY_NEXT = re.compile(r"^Notify next")
# A reconnect waits out a full-jitter backoff (static/js/live.js): after a few failed tries
# while the server is down, the next one can be some seconds away.
BACK_WITHIN_MS = 40_000


def indicator(page):
    return page.locator("#live-indicator")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["deploy", "crash"])
def test_pages_come_back_with_the_truth_after_the_server_restarts(
    start_server, open_page, restaurant, join, staff_user, staff_session, stop
):
    server = start_server()
    ada = elsewhere(join, "Ada")
    bob = elsewhere(join, "Bob")
    diner = open_page(f"{server.url}{bob.get_absolute_url()}", phone=True)
    host = open_page(f"{server.url}/restaurant/{restaurant.slug}/host/", session=staff_session(staff_user))
    for page in (diner, host):
        expect(indicator(page)).to_have_attribute("data-state", "live")
        page.evaluate("window.__sameDocument = true")
    expect(diner.get_by_test_id("position")).to_have_text("#2")

    server.stop(stop)
    for page in (diner, host):
        expect(indicator(page)).to_have_attribute("data-state", "reconnecting")
        expect(indicator(page)).to_contain_text("Reconnecting")

    # While the server is down the evening goes on: Ada is told to come, Bob now heads the
    # queue. No page hears of it from a push.
    elsewhere(services.notify_party, ada.pk, None)
    elsewhere(services.notify_party, bob.pk, None)

    start_server(port=server.port)

    for page in (diner, host):
        expect(indicator(page)).to_have_attribute("data-state", "live", timeout=BACK_WITHIN_MS)
        assert page.evaluate("window.__sameDocument === true")
    expect(diner.locator("#order-status")).to_contain_text("Head over now")
    expect(diner).to_have_title(re.compile(r"^Head over now"))
    expect(host.locator("#host-heading-over")).to_contain_text("Ada")
    expect(host.locator("#host-heading-over")).to_contain_text("Bob")
    expect(host.locator("#host-queue")).not_to_contain_text("Bob")


def test_a_screen_the_server_closes_normally_reconnects_by_itself(
    start_server, open_page, restaurant, join, staff_user, staff_session
):
    # daphne closes every socket after --websocket_timeout with a normal close (1000), which
    # the htmx extension alone never retries. Here the timeout is a few seconds.
    server = start_server(extra_args=["--websocket_timeout", "3"])
    elsewhere(join, "Ada")
    host = open_page(f"{server.url}/restaurant/{restaurant.slug}/host/", session=staff_session(staff_user))
    closes = []
    host.on("websocket", lambda ws: ws.on("close", lambda _: closes.append(ws.url)))
    expect(indicator(host)).to_have_attribute("data-state", "live")

    # Closed by the server, then open again on a new socket.
    host.wait_for_function("() => document.getElementById('live-indicator').dataset.state !== 'live'")
    expect(indicator(host)).to_have_attribute("data-state", "live")
    assert closes

    # And the new socket carries pushes: a diner who joins through the server shows up.
    join_on_a_phone(open_page, server.url, restaurant, "Bea")
    expect(host.locator("#host-queue")).to_contain_text("Bea")


def test_a_page_notices_a_frozen_server_and_comes_back_with_the_truth(
    start_server, open_page, restaurant, join
):
    # A frozen server keeps its sockets open but says nothing, like a phone's socket that
    # died while it slept: no close event ever comes. The page's heartbeat (every second
    # here) is what notices.
    server = start_server(LIVE_QUEUE_HEARTBEAT_SECONDS="1")
    ada = elsewhere(join, "Ada")
    diner = open_page(f"{server.url}{ada.get_absolute_url()}", phone=True)
    sockets = []
    diner.on("websocket", lambda ws: sockets.append(ws))
    expect(indicator(diner)).to_have_attribute("data-state", "live")
    diner.evaluate("window.__sameDocument = true")
    opened = len(sockets)

    # A live server answers every ask: the page keeps its socket.
    diner.wait_for_timeout(3500)
    expect(indicator(diner)).to_have_attribute("data-state", "live")
    assert len(sockets) == opened

    server.proc.send_signal(signal.SIGSTOP)
    try:
        expect(indicator(diner)).to_have_attribute("data-state", "reconnecting", timeout=5000)
        expect(indicator(diner)).to_contain_text("Reconnecting")
        # Meanwhile the host tells Ada to come; no push can reach her page.
        elsewhere(services.notify_party, ada.pk, None)
    finally:
        server.proc.send_signal(signal.SIGCONT)

    expect(indicator(diner)).to_have_attribute("data-state", "live", timeout=BACK_WITHIN_MS)
    expect(diner.locator("#order-status")).to_contain_text("Head over now")
    assert diner.evaluate("window.__sameDocument === true")
    assert len(sockets) > opened, "the page opened a new socket"


def test_a_phone_coming_back_into_view_finds_out_within_seconds_that_its_socket_died(
    start_server, open_page, restaurant, join
):
    # The usual 20 s heartbeat: without the wake-up check the page would show a dead "Live"
    # for up to 20 s after the diner looks at their phone again.
    server = start_server()
    ada = elsewhere(join, "Ada")
    diner = open_page(f"{server.url}{ada.get_absolute_url()}", phone=True)
    expect(indicator(diner)).to_have_attribute("data-state", "live")
    diner.evaluate("window.__sameDocument = true")

    server.proc.send_signal(signal.SIGSTOP)
    try:
        elsewhere(services.notify_party, ada.pk, None)
        # The diner looks at the page again (the browser fires visibilitychange).
        diner.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        expect(indicator(diner)).to_have_attribute("data-state", "reconnecting", timeout=6000)
    finally:
        server.proc.send_signal(signal.SIGCONT)

    expect(indicator(diner)).to_have_attribute("data-state", "live", timeout=BACK_WITHIN_MS)
    expect(diner.locator("#order-status")).to_contain_text("Head over now")
    assert diner.evaluate("window.__sameDocument === true")


def test_a_page_gives_up_a_connection_nobody_answers_and_tries_again(
    start_server, silent_front, open_page, restaurant, join
):
    # Between the phone and the server something takes new connections and never answers
    # them (a load balancer while the server behind it starts, a network that lost the
    # reply). The browser alone would wait minutes for the handshake, the page dark.
    server = start_server()
    front = silent_front(server)
    ada = elsewhere(join, "Ada")
    diner = open_page(f"{front.url}{ada.get_absolute_url()}", phone=True)
    expect(indicator(diner)).to_have_attribute("data-state", "live")
    diner.evaluate("window.__sameDocument = true")
    sockets = []
    diner.on("websocket", lambda ws: sockets.append(ws))

    front.silent = True
    front.cut()
    expect(indicator(diner)).to_have_attribute("data-state", "reconnecting", timeout=5000)
    # The page's next try goes into the silence.
    for _ in range(50):
        if sockets:
            break
        diner.wait_for_timeout(100)
    assert sockets, "the page tried again"
    elsewhere(services.notify_party, ada.pk, None)
    front.silent = False  # the way through is back, for new connections

    # The page gives up the unanswered try after 10 s and its next one gets through.
    expect(indicator(diner)).to_have_attribute("data-state", "live", timeout=20_000)
    expect(diner.locator("#order-status")).to_contain_text("Head over now")
    assert diner.evaluate("window.__sameDocument === true")
    assert len(sockets) >= 2


@pytest.mark.skipif(
    not (on_postgresql() and os.environ.get("REDIS_URL")),
    reason="two server processes need a shared database and Redis (PostgreSQL + REDIS_URL)",
)
def test_a_diner_on_one_server_sees_the_notification_a_host_makes_through_another(
    start_server, open_page, restaurant, join, staff_user, staff_session
):
    diners_server = start_server()
    hosts_server = start_server()
    ada = elsewhere(join, "Ada")
    diner = open_page(f"{diners_server.url}{ada.get_absolute_url()}", phone=True)
    host = open_page(
        f"{hosts_server.url}/restaurant/{restaurant.slug}/host/", session=staff_session(staff_user)
    )
    expect(indicator(diner)).to_have_attribute("data-state", "live")
    expect(indicator(host)).to_have_attribute("data-state", "live")
    diner.evaluate("window.__sameDocument = true")

    host.get_by_role("button", name=NOTIFY_NEXT).click()

    expect(diner.locator("#order-status")).to_contain_text("Head over now")
    assert diner.evaluate("window.__sameDocument === true")
