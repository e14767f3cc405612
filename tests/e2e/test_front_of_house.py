"""The front of house in Chromium: the host stand's first screen at 1366x768 and its width at
1920x1080, Add party with its quote before saving, Remove asking first, seating at another
table, the walk-in buttons' names, the QR poster decoding to the join link and printing on one
sheet, the lobby board updating live and readable across a room, the diner's page refreshing
itself without JavaScript, text contrast on every page, and the friendly 404 with DEBUG on."""

import io
import re

import pytest
from playwright.sync_api import expect

from orders import services
from orders.models import DiningTable, Order, OrderStatus

from .conftest import CHROMIUM_ARGS, PHONE, elsewhere, join_on_a_phone  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

NOTIFY_NEXT = re.compile(r"^Notify next")
TABLET = {"width": 1366, "height": 768}
WIDE = {"width": 1920, "height": 1080}


def is_live(page):
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")


def host_stand(open_page, app_server, restaurant, session, viewport=None):
    page = open_page(session=session, base_url=app_server.url)
    if viewport:
        page.set_viewport_size(viewport)
    page.goto(f"/restaurant/{restaurant.slug}/host/")
    is_live(page)
    return page


def fully_on_first_screen(page, locator):
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and (
        box["x"] + box["width"] <= size["width"]
    )


# ---------------------------------------------------------------------------------------
# The host stand


def test_at_1366x768_the_queue_and_notify_next_are_on_the_first_screen(
    app_server, open_page, restaurant, join, staff_user, staff_session, menu
):
    for n in range(12):
        elsewhere(join, f"Party {n:02d}")
    host = host_stand(open_page, app_server, restaurant, staff_session(staff_user), TABLET)
    assert host.evaluate("window.scrollY") == 0
    assert fully_on_first_screen(host, host.get_by_role("button", name=NOTIFY_NEXT))
    rows = host.locator("#queue-rows > li")
    on_screen = [i for i in range(rows.count()) if fully_on_first_screen(host, rows.nth(i))]
    assert len(on_screen) >= 3 and on_screen[0] == 0
    # Each row's own buttons are on it too, and nothing makes the page scroll sideways.
    assert fully_on_first_screen(host, rows.first.get_by_role("button", name="Notify Party 00"))
    assert host.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    # The tables sit beside the queue, not under it.
    queue, tables = host.locator("#host-queue").bounding_box(), host.locator("#host-tables").bounding_box()
    assert tables["x"] >= queue["x"] + queue["width"]


def test_at_1920x1080_the_host_stand_uses_the_width_and_shows_many_rows(
    app_server, open_page, restaurant, join, staff_user, staff_session, menu
):
    for n in range(16):
        elsewhere(join, f"Party {n:02d}")
    host = host_stand(open_page, app_server, restaurant, staff_session(staff_user), WIDE)
    rows = host.locator("#queue-rows > li")
    on_screen = [i for i in range(rows.count()) if fully_on_first_screen(host, rows.nth(i))]
    assert len(on_screen) >= 8
    tables = host.locator("#host-tables").bounding_box()
    assert tables["x"] + tables["width"] > 1800  # to the right edge, not stopping at ~1,250 px
    assert fully_on_first_screen(host, host.locator("#host-tables"))


def test_the_host_adds_a_walk_up_seeing_the_quote_before_saving_and_the_party_joins_live(
    app_server, open_page, restaurant, menu, join, staff_user, staff_session
):
    elsewhere(join, "Priya")
    host = host_stand(open_page, app_server, restaurant, staff_session(staff_user))
    host.get_by_text("Add party").first.click()
    host.get_by_label("Name", exact=True).fill("Dana")
    host.get_by_label("Party size", exact=True).fill("4")
    host.get_by_label("Minutes away (optional)").fill("0")
    quote = host.get_by_test_id("add-party-quote")
    expect(host.locator("#add-party-quote")).to_contain_text("for 4, #2 in line")
    assert not Order.objects.filter(customer_name="Dana").exists()  # only a quote so far

    # A diner joins meanwhile: the queue is pushed, and what the host typed stays.
    join_on_a_phone(open_page, app_server.url, restaurant, "Latecomer")
    expect(host.locator("#host-queue")).to_contain_text("Latecomer")
    expect(host.get_by_label("Name", exact=True)).to_have_value("Dana")
    expect(quote).to_be_visible()

    host.get_by_role("button", name="Add to the queue").click()
    code = host.get_by_test_id("added-code")
    expect(code).to_be_visible()
    dana = Order.objects.get(customer_name="Dana")
    assert dana.added_by_host and dana.status == OrderStatus.IN_QUEUE
    expect(code).to_have_text(dana.order_code)
    expect(host.locator("#host-queue")).to_contain_text("Dana")
    expect(host.get_by_label("Name", exact=True)).to_have_value("")  # ready for the next guest
    # The link the host reads out or sends opens the party's own page.
    link = host.get_by_test_id("added-link").inner_text()
    guest = open_page(link, phone=True)
    expect(guest.get_by_test_id("order-code")).to_have_text(dana.order_code)


def test_remove_asks_before_it_removes(
    app_server, open_page, restaurant, menu, join, staff_user, staff_session
):
    elsewhere(join, "Ana")
    elsewhere(join, "Ben")
    host = host_stand(open_page, app_server, restaurant, staff_session(staff_user))
    row = host.locator("#queue-rows > li", has_text="Ana")
    row.locator("summary", has_text="Remove…").click()
    expect(row).to_contain_text("Take Ana")
    assert Order.objects.get(customer_name="Ana").status == OrderStatus.IN_QUEUE
    row.get_by_role("button", name="Yes, remove Ana").click()
    expect(host.locator("#host-queue")).not_to_contain_text("Ana")
    expect(host.locator("#host-queue")).to_contain_text("Ben")
    assert Order.objects.get(customer_name="Ana").status == OrderStatus.CANCELLED


def test_a_party_heading_over_shows_its_table_and_can_be_seated_at_another_that_fits(
    app_server, open_page, restaurant, menu, join, staff_user, staff_session
):
    ana = elsewhere(join, "Ana")
    elsewhere(services.notify_party, ana.pk, staff_user)
    host = host_stand(open_page, app_server, restaurant, staff_session(staff_user))
    row = host.locator("#heading-rows > li", has_text="Ana")
    expect(row.get_by_test_id("expected-table")).to_contain_text("expected at table")
    row.locator("summary", has_text="Other table…").click()
    row.get_by_role("button", name="Seat Ana at table 3").click()
    expect(host.locator("#seated-rows")).to_contain_text("Ana")
    expect(host.locator("#seated-rows")).to_contain_text("T3")
    assert Order.objects.get(pk=ana.pk).table.number == 3


def test_the_walk_in_buttons_say_which_table(app_server, open_page, restaurant, staff_user, staff_session):
    host = host_stand(open_page, app_server, restaurant, staff_session(staff_user))
    host.get_by_role("button", name="Seat a walk-in at table 2", exact=True).click()
    expect(host.get_by_role("button", name="The walk-in at table 2 left", exact=True)).to_be_visible()
    assert DiningTable.objects.get(restaurant=restaurant, number=2).walk_in


def test_the_kitchen_display_uses_the_width_of_a_1920_screen(
    app_server, open_page, restaurant, menu, join, staff_user, staff_session
):
    for name in ("Ana", "Ben", "Cy", "Dee", "Eli"):
        order = elsewhere(join, name)
        elsewhere(services.notify_party, order.pk, staff_user)
    kitchen = open_page(session=staff_session(staff_user), base_url=app_server.url)
    kitchen.set_viewport_size(WIDE)
    kitchen.goto(f"/restaurant/{restaurant.slug}/kitchen/")
    is_live(kitchen)
    tickets = kitchen.locator("#ticket-list > li")
    expect(tickets).to_have_count(5)
    tops = {round(tickets.nth(i).bounding_box()["y"]) for i in range(5)}
    assert len(tops) == 1  # all five side by side on one line
    assert kitchen.locator("#ticket-list").bounding_box()["width"] > 1800
    expect(tickets.first.get_by_role("button", name=re.compile(r"seen: not cooking yet$"))).to_be_visible()
    expect(tickets.first.get_by_role("button", name=re.compile(r"^Start cooking ticket"))).to_be_visible()


# ---------------------------------------------------------------------------------------
# The QR poster


def test_the_posters_qr_code_decodes_to_the_join_link_and_it_prints_on_one_sheet(
    app_server, open_page, restaurant, staff_user, staff_session
):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    poster = open_page(session=staff_session(staff_user), base_url=app_server.url)
    poster.goto(f"/restaurant/{restaurant.slug}/poster/")
    join_url = f"{app_server.url}/r/{restaurant.slug}/"
    expect(poster.get_by_test_id("poster-link")).to_have_text(join_url)
    picture = Image.open(io.BytesIO(poster.locator("#poster-qr").screenshot()))
    assert [code.text for code in zxingcpp.read_barcodes(picture)] == [join_url]

    for paper, (width, height) in (("a4", (595, 842)), ("letter", (612, 792))):
        poster.goto(f"/restaurant/{restaurant.slug}/poster/?paper={paper}")
        pdf = poster.pdf(prefer_css_page_size=True)
        pages = re.findall(rb"/Type\s*/Page\b(?!s)", pdf)
        box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
        assert len(pages) == 1, paper
        assert abs(float(box[1]) - width) < 2 and abs(float(box[2]) - height) < 2, paper


# ---------------------------------------------------------------------------------------
# The lobby board


def test_the_lobby_board_shows_a_code_the_moment_the_host_notifies_its_party(
    app_server, open_page, restaurant, menu, join, staff_user, staff_session
):
    ana = elsewhere(join, "Ana Secret", phone="+44 7911 123456")
    board = open_page()
    board.set_viewport_size(WIDE)
    board.goto(f"{app_server.url}/r/{restaurant.slug}/board/")
    is_live(board)
    expect(board.locator("#called-codes > li")).to_have_count(0)

    host = host_stand(open_page, app_server, restaurant, staff_session(staff_user))
    host.get_by_role("button", name=NOTIFY_NEXT).click()

    code = board.locator(f"#called-{ana.order_code}")
    expect(code).to_have_text(ana.order_code)
    # Readable from 5 metres on a 1080p screen: codes about 13 cm tall on a 55" TV, waits
    # half that; and all of it on the screen, nothing to scroll.
    assert float(code.evaluate("el => getComputedStyle(el).fontSize").rstrip("px")) >= 96
    wait = board.get_by_test_id("board-wait").first
    assert float(wait.evaluate("el => getComputedStyle(el).fontSize").rstrip("px")) >= 48
    assert board.evaluate("document.documentElement.scrollHeight") <= WIDE["height"]
    text = board.locator("body").inner_text()
    assert "Ana" not in text and "7700" not in text and "pizza" not in text.lower()


# ---------------------------------------------------------------------------------------
# The join page and the diner's page


def test_on_a_phone_join_the_queue_is_in_reach_beside_a_running_total(
    app_server, open_page, restaurant, menu
):
    from decimal import Decimal

    from orders.models import MenuItem

    for n in range(8):  # a long menu: the button would be far below without sticking
        elsewhere(MenuItem.objects.create, restaurant=restaurant, name=f"Special {n}", price=Decimal("9.50"), course="STARTER")
    page = open_page(f"{app_server.url}/r/{restaurant.slug}/", phone=True)
    join = page.get_by_role("button", name="Join the queue")
    assert fully_on_first_screen(page, join)
    expect(page.get_by_role("heading", name="Starters")).to_be_visible()
    page.get_by_label("Quantity of Margherita pizza").fill("2")
    page.get_by_label("Quantity of Tiramisu").fill("1")
    expect(page.locator("#order-total")).to_have_text("$37.00")
    page.get_by_label("Quantity of Tiramisu").scroll_into_view_if_needed()
    assert fully_on_first_screen(page, join)


def test_alert_me_goes_away_once_the_party_is_told_to_head_over(
    app_server, open_page, restaurant, menu, join, staff_user, staff_session
):
    ana = elsewhere(join, "Ana")
    diner = open_page(f"{app_server.url}{ana.get_absolute_url()}", phone=True)
    is_live(diner)
    alert, leave = diner.get_by_role("button", name="Alert me when it's time"), diner.get_by_role("link", name="Leave the queue")
    expect(alert).to_be_visible()
    assert alert.bounding_box()["y"] < leave.bounding_box()["y"]
    host = host_stand(open_page, app_server, restaurant, staff_session(staff_user))
    host.get_by_role("button", name=NOTIFY_NEXT).click()  # through the server: a real push
    expect(diner.locator("#order-status")).to_contain_text("Head over now")
    expect(alert).to_be_hidden()


# ---------------------------------------------------------------------------------------
# The diner's page without JavaScript


def test_without_javascript_the_diner_page_refreshes_itself_and_shows_head_over_now(
    app_server, browser, restaurant, menu, join, staff_user
):
    ana = elsewhere(join, "Ana")
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{app_server.url}{ana.get_absolute_url()}")
        expect(page.get_by_test_id("no-script-note")).to_be_visible()
        expect(page.locator("#order-status")).not_to_contain_text("Head over now")
        elsewhere(services.notify_party, ana.pk, staff_user)
        # Nothing pushes to this page: it shows the news once it reloads itself (every 30 s).
        expect(page.locator("#order-status")).to_contain_text("Head over now", timeout=45_000)
    finally:
        context.close()


# ---------------------------------------------------------------------------------------
# Contrast, everywhere


# Every piece of text on the page whose contrast with what is painted behind it is below
# 4.5:1 (WCAG AA), from the colours the page really uses (Tailwind's oklch values included:
# a canvas turns any CSS colour into sRGB), background colours and opacity composited up
# from the root. Disabled controls and text no one sees (sr-only, closed disclosures) aside.
LOW_CONTRAST = """() => {
  const ctx = document.createElement("canvas").getContext("2d", {willReadFrequently: true});
  function rgba(color) {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = "#000";
    ctx.fillStyle = color;
    ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  }
  const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  function behind(el) {
    const chain = [];
    for (let e = el; e; e = e.parentElement) chain.unshift(e);
    let bg = [255, 255, 255, 1];
    for (const e of chain) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) bg = over(c, bg);
    }
    return bg;
  }
  function opacity(el) {
    let o = 1;
    for (let e = el; e; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity);
    return o;
  }
  const lum = c => c.slice(0, 3).map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const low = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    if (el.closest("[disabled], noscript, svg, [aria-hidden=true]") || !el.checkVisibility({visibilityProperty: true})) continue;
    const box = el.getBoundingClientRect();
    if (box.width < 2 || box.height < 2) continue;
    const bg = behind(el);
    const c = rgba(getComputedStyle(el).color);
    const fg = over([c[0], c[1], c[2], c[3] * opacity(el)], bg);
    const [a, b] = [lum(fg), lum(bg)];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push(ratio.toFixed(2) + " " + JSON.stringify(node.textContent.trim().slice(0, 50)));
  }
  return low;
}"""


def test_every_pages_text_has_a_contrast_of_at_least_4_5_to_1(
    app_server, open_page, restaurant, menu, join, staff_user, staff_session
):
    restaurant.phone = "0161 496 0000"
    restaurant.address = "4 Canal Street"
    elsewhere(restaurant.save)
    waiting = elsewhere(join, "Ana", dishes={"tiramisu": 1})  # due now: highlighted
    elsewhere(join, "Ben")
    heading = elsewhere(join, "Cy")
    seated = elsewhere(join, "Dee")
    for order in (heading, seated):
        elsewhere(services.notify_party, order.pk, staff_user)
    elsewhere(services.seat_party, seated.pk, staff_user)
    elsewhere(services.start_preparing, heading.pk, staff_user)
    table = DiningTable.objects.filter(restaurant=restaurant, walk_in=False).exclude(parties__status="READY").first()
    elsewhere(services.seat_walk_in, restaurant.pk, staff_user, table_id=table.pk)
    session = staff_session(staff_user)
    pages = {
        "join": (f"/r/{restaurant.slug}/", None, True),
        "diner waiting": (waiting.get_absolute_url(), None, True),
        "diner heading over": (heading.get_absolute_url(), None, True),
        "leave": (f"/q/{waiting.public_token}/leave/", None, True),
        "board": (f"/r/{restaurant.slug}/board/", None, False),
        "not found": ("/q/no-such-link-at-all-1234/", None, False),
        "login": ("/restaurant/login/", None, False),
        "host stand": (f"/restaurant/{restaurant.slug}/host/", session, False),
        "kitchen": (f"/restaurant/{restaurant.slug}/kitchen/", session, False),
        "poster": (f"/restaurant/{restaurant.slug}/poster/", session, False),
    }
    low = {}
    for name, (path, cookie, phone) in pages.items():
        page = open_page(session=cookie, base_url=app_server.url, phone=phone)
        page.goto(path)
        if "/ws/" in page.content() or name in ("host stand", "kitchen", "board"):
            if page.locator("#live-indicator").count():
                is_live(page)
        found = page.evaluate(LOW_CONTRAST)
        if found:
            low[name] = found
        assert page.locator("h1").count() == 1, name
    assert not low, low


def test_with_debug_on_an_unknown_diner_link_shows_the_friendly_not_found_page(app_server, open_page):
    page = open_page(f"{app_server.url}/q/no-such-link-at-all-1234/", phone=True)
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.locator("body")).to_contain_text("No party in any queue has this link")
    expect(page.locator("body")).not_to_contain_text("URLconf")
