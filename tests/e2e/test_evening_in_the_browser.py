"""An evening at the restaurant in real Chromium: diners on their phones, the host stand and
the kitchen display on desktops, all on one real server."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order, OrderStatus

from ..conftest import STAFF_PASSWORD
from .conftest import elsewhere, join_on_a_phone

pytestmark = pytest.mark.django_db(transaction=True)

NOTIFY_NEXT = re.compile(r"^Notify next")
# 0 (black) .. 1 (white): the element's text colour as the screen paints it (any CSS colour
# syntax, oklch included, through a canvas).
LIGHTNESS_OF_TEXT = """el => {
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.fillStyle = getComputedStyle(el).color;
  ctx.fillRect(0, 0, 1, 1);
  const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}"""


def is_live(page):
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")


def remember_this_page(page):
    """Mark the loaded document, so a test can tell a live update from a reload."""
    page.evaluate("window.__sameDocument = true")


def still_the_same_page(page):
    return page.evaluate("window.__sameDocument === true")


def test_a_diner_joins_with_an_order_and_the_host_calls_them_and_the_kitchen_sees_the_ticket(
    app_server, open_page, restaurant, menu, staff_user
):
    diner = open_page(f"{app_server.url}/r/{restaurant.slug}/", phone=True)
    diner.get_by_label("Your name").fill("Priya")
    diner.get_by_label("Party size").fill("3")
    diner.get_by_label("Quantity of Margherita pizza").fill("2")
    diner.get_by_label("Note for the kitchen (optional) about Margherita pizza").fill("extra basil")
    diner.get_by_role("button", name="Join the queue").click()

    expect(diner).to_have_url(re.compile(r"/q/[^/]+/$"))
    code = diner.get_by_test_id("order-code").inner_text().strip()
    order = Order.objects.get(order_code=code, restaurant=restaurant)
    assert order.customer_name == "Priya" and order.party_size == 3
    expect(diner.get_by_test_id("position")).to_have_text("#1")
    is_live(diner)

    host = open_page(f"{app_server.url}/restaurant/login/")
    host.get_by_label("Username").fill(staff_user.username)
    host.get_by_label("Password").fill(STAFF_PASSWORD)
    host.get_by_role("button", name="Log in").click()
    expect(host).to_have_url(re.compile(rf"/restaurant/{restaurant.slug}/host/$"))
    expect(host.locator("#host-queue")).to_contain_text("Priya")

    host.get_by_role("button", name=NOTIFY_NEXT).click()

    expect(host.locator("#flash")).to_contain_text("told to head over")
    expect(diner.locator("#order-status")).to_contain_text("Head over now")

    host.get_by_role("link", name="Kitchen").click()
    # The dark kitchen screen keeps the white staff header readable: dark text on it.
    text_lightness = host.get_by_role("link", name="Host stand").evaluate(LIGHTNESS_OF_TEXT)
    assert text_lightness < 0.5
    ticket = host.locator(f'#kitchen-tickets [data-order-code="{code}"]')
    expect(ticket).to_contain_text("Margherita pizza")
    expect(ticket).to_contain_text("2 ×")
    expect(ticket).to_contain_text("extra basil")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_ARRIVAL


def test_the_diner_sees_head_over_now_the_moment_the_host_notifies_them(
    app_server, open_page, restaurant, join, staff_user, staff_session
):
    ada = elsewhere(join, "Ada")
    diner = open_page(f"{app_server.url}{ada.get_absolute_url()}", phone=True)
    host = open_page(f"{app_server.url}/restaurant/{restaurant.slug}/host/", session=staff_session(staff_user))
    is_live(diner)
    is_live(host)
    remember_this_page(diner)
    expect(diner.locator("#order-status")).not_to_contain_text("Head over now")

    host.get_by_role("button", name=NOTIFY_NEXT).click()

    expect(diner.locator("#order-status")).to_contain_text("Head over now")
    expect(diner).to_have_title(re.compile(r"^Head over now"))
    expect(diner.locator("body")).to_have_attribute("data-alerted", "true")
    assert still_the_same_page(diner)


def test_the_party_behind_moves_up_when_the_party_ahead_leaves(app_server, open_page, join):
    ada = elsewhere(join, "Ada")
    bob = elsewhere(join, "Bob")
    behind = open_page(f"{app_server.url}{bob.get_absolute_url()}", phone=True)
    expect(behind.get_by_test_id("position")).to_have_text("#2")
    is_live(behind)
    remember_this_page(behind)
    # Bob is half-way through telling the restaurant how far away he is.
    travel = behind.get_by_label(re.compile("How far away"))
    travel.fill("")
    travel.press_sequentially("2")

    ahead = open_page(f"{app_server.url}{ada.get_absolute_url()}", phone=True)
    ahead.get_by_role("link", name="Leave the queue").click()
    ahead.get_by_role("button", name="Yes, leave the queue").click()
    expect(ahead.locator("#order-status")).to_contain_text("no longer in the queue")

    expect(behind.get_by_test_id("position")).to_have_text("#1")
    expect(behind.locator("#order-position")).to_contain_text("You're next")
    assert still_the_same_page(behind)
    expect(travel).to_have_value("2")


def test_a_second_notify_next_from_a_host_whose_screen_lagged_is_refused_and_brings_it_up_to_date(
    app_server, open_page, restaurant, join, staff_user, second_host, staff_session
):
    ada = elsewhere(join, "Ada")
    elsewhere(join, "Bob")
    first = open_page(f"{app_server.url}/restaurant/{restaurant.slug}/host/", session=staff_session(staff_user))
    # The second host's tablet lost its socket without noticing: the server's pushes never
    # arrive (Playwright swallows them), so it still shows Ada at the head.
    second = open_page(session=staff_session(second_host), base_url=app_server.url)
    sockets = []

    def first_socket_hears_nothing(ws):
        server = ws.connect_to_server()
        sockets.append(ws)
        if len(sockets) == 1:
            server.on_message(lambda message: None)

    second.route_web_socket(re.compile(r"/ws/restaurant/"), first_socket_hears_nothing)
    second.goto(f"/restaurant/{restaurant.slug}/host/")
    is_live(first)

    first.get_by_role("button", name=NOTIFY_NEXT).click()
    expect(first.locator("#flash")).to_contain_text("told to head over")
    assert Order.objects.get(pk=ada.pk).status == OrderStatus.AWAITING_ARRIVAL

    with second.expect_response(re.compile(r"/notify-next/$")) as refused:
        second.get_by_role("button", name="Notify next: Ada").click()
    assert refused.value.status == 409
    expect(second.locator("#flash")).to_contain_text("Ada")
    expect(second.locator("#flash")).to_contain_text("already")
    # The refusal said the screen was behind: the page took a new socket, and its first
    # message brought the queue as it is: Bob is next now.
    expect(second.get_by_role("button", name="Notify next: Bob")).to_be_visible()
    assert len(sockets) == 2
    assert Order.objects.get(pk=ada.pk).status == OrderStatus.AWAITING_ARRIVAL


def test_a_host_on_a_small_screen_keeps_their_place_when_a_push_arrives(
    app_server, open_page, restaurant, join, staff_user, staff_session
):
    for n in range(30):
        elsewhere(join, f"Party {n:02d}")
    host = open_page(session=staff_session(staff_user), base_url=app_server.url)
    host.set_viewport_size({"width": 480, "height": 800})
    host.goto(f"/restaurant/{restaurant.slug}/host/")
    is_live(host)
    # Down the queue to party 20 and across to its buttons, as a host on a small screen.
    row = host.locator("#queue-rows li", has_text="Party 20")
    row.evaluate("el => el.scrollIntoView({block: 'center'})")
    host.evaluate("window.scrollTo(document.documentElement.scrollWidth, window.scrollY)")
    where = row.bounding_box()
    assert host.evaluate("window.scrollY") > 500

    join_on_a_phone(open_page, app_server.url, restaurant, "Latecomer")

    # The latecomer is 31st, below the rows shown: the queue's count moves, nothing else.
    expect(host.locator("#queue-head")).to_contain_text("Queue (31)")
    after = host.locator("#queue-rows li", has_text="Party 20").bounding_box()
    assert (after["x"], after["y"]) == (where["x"], where["y"])


def test_a_manager_typing_in_the_room_settings_keeps_what_they_typed_when_a_push_arrives(
    app_server, open_page, restaurant, join, manager_user, staff_session
):
    elsewhere(join, "Ada")
    host = open_page(f"{app_server.url}/restaurant/{restaurant.slug}/host/", session=staff_session(manager_user))
    is_live(host)
    host.locator("#room-settings summary").click()
    field = host.locator("#room-settings input[type=number]").first
    field.fill("")
    field.press_sequentially("1")  # half-typed: not saved yet

    join_on_a_phone(open_page, app_server.url, restaurant, "Latecomer")

    expect(host.locator("#host-queue")).to_contain_text("Latecomer")
    expect(field).to_have_value("1")
    expect(field).to_be_focused()


def test_a_room_form_that_another_screen_overtook_saves_nothing_and_shows_what_is_saved(
    app_server, open_page, restaurant, manager_user, second_manager, staff_session
):
    host_stand = f"{app_server.url}/restaurant/{restaurant.slug}/host/"
    first = open_page(host_stand, session=staff_session(manager_user))
    second = open_page(host_stand, session=staff_session(second_manager))
    for page in (first, second):
        is_live(page)
        page.locator("#room-settings summary").click()
    remember_this_page(first)

    # The second screen switches automatic notification on.
    second.get_by_label("Notify parties automatically").check()
    second.get_by_role("button", name="Save room and timing").click()
    expect(second.locator("#flash")).to_contain_text("Room and timing saved.")

    # The first screen, opened before that, lengthens the grace period on its old form.
    grace = first.get_by_label("Grace period for late parties (minutes)")
    grace.fill("20")
    with first.expect_response(re.compile(r"/room/$")) as answer:
        first.get_by_role("button", name="Save room and timing").click()
    assert answer.value.status == 409
    expect(first.locator("#flash")).to_contain_text("changed on another screen")
    # The form, still open, now shows what is saved, and nothing was undone.
    expect(first.get_by_label("Notify parties automatically")).to_be_checked()
    expect(grace).to_have_value("10")
    expect(first.locator("#room-settings")).to_have_attribute("open", "")
    restaurant.refresh_from_db()
    assert (restaurant.auto_notify, restaurant.arrival_grace_minutes) == (True, 10)

    # Making the change again on the refreshed form saves it, and the same page saves again.
    grace.fill("20")
    with first.expect_response(re.compile(r"/room/$")) as answer:
        first.get_by_role("button", name="Save room and timing").click()
    assert answer.value.status == 200
    expect(first.locator("#flash")).to_contain_text("Room and timing saved.")
    first.get_by_label("Notify parties automatically").uncheck()
    with first.expect_response(re.compile(r"/room/$")) as answer:
        first.get_by_role("button", name="Save room and timing").click()
    assert answer.value.status == 200
    restaurant.refresh_from_db()
    assert (restaurant.auto_notify, restaurant.arrival_grace_minutes) == (False, 20)
    assert still_the_same_page(first)
