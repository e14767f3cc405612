"""The manager's insights screen in real Chromium: every chart drawn by Chart.js from the
figures on the page, without a script error, and the what-if worked out from its button.

The server runs on the real clock, so the restaurant's history is written relative to now:
the last three weeks of evenings on the weekday three days from today."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from insights.models import WhatIfRun
from orders import services

from ..insights.conftest import Story
from .conftest import elsewhere

pytestmark = pytest.mark.django_db(transaction=True)

# True when Chart.js drew the canvas: a chart is attached and some pixel is painted.
DRAWN = """canvas => {
  if (!window.Chart || !window.Chart.getChart(canvas)) return false;
  const { width, height } = canvas;
  const pixels = canvas.getContext("2d").getImageData(0, 0, width, height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
  return false;
}"""


@pytest.fixture
def history(restaurant, menu):
    """Three weeks of one evening a week (the weekday three days ahead), in a room of one
    2-top and one 4-top, and a few parties yesterday and today."""
    elsewhere(services.set_up_tables, restaurant.pk, {2: 1, 4: 1}, "test")
    story = Story(restaurant, menu)
    two, four = sorted(story.tables)
    now = timezone.localtime()
    evening = (now + timedelta(days=3)).replace(hour=19, minute=0, second=0, microsecond=0)
    for week in (1, 2, 3):
        day = evening - timedelta(weeks=week)
        for n, size in enumerate([2, 4, 2, 2, 4, 2]):
            story.seated(day + timedelta(minutes=15 * n), size=size, quoted=15, waited=12 + n, stayed=55,
                         dishes={"pizza": size, "tiramisu": 1}, fired=2, ready=15, table=(two, four)[n % 2])
        story.left(day + timedelta(minutes=40), quoted=45, dishes={"salad": 1})
        story.no_show(day + timedelta(minutes=50), dishes={"risotto": 2}, fired=12)
    for days_ago in (1, 2):
        day = (now - timedelta(days=days_ago)).replace(hour=19, minute=0, second=0, microsecond=0)
        for n in range(4):
            story.seated(day + timedelta(minutes=20 * n), quoted=10, waited=8 + 3 * n, stayed=50,
                         dishes={"risotto": 1}, fired=1, ready=20, table=(two, four)[n % 2])
    return story


def insights(app_server, restaurant):
    return f"{app_server.url}/restaurant/{restaurant.slug}/insights/"


def test_the_manager_opens_insights_from_the_host_stand_and_every_chart_is_drawn(
    app_server, open_page, restaurant, history, manager_user, staff_session
):
    WhatIfRun.objects.create(
        restaurant=restaurant, day=timezone.localdate() + timedelta(days=3), status=WhatIfRun.DONE,
        started_at=timezone.now(), finished_at=timezone.now(),
        result={
            "parties": 7, "no_shows": 1, "best": "One more 2-top", "hours": [19, 20],
            "rooms": [
                {"label": "Today's tables", "seats_added": None, "tables": [[2, 1], [4, 1]], "mean_wait": 32.7,
                 "seated": 6, "waits_by_hour": {"19": 26.7, "20": 38.7}},
                {"label": "One more 2-top", "seats_added": 2, "tables": [[2, 2], [4, 1]], "mean_wait": 14.0,
                 "seated": 6, "waits_by_hour": {"19": 14.0, "20": 14.0}},
            ],
        },
    )
    page = open_page(f"{app_server.url}/restaurant/{restaurant.slug}/host/", session=staff_session(manager_user))
    page.get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", name="Trattoria Verde — insights")).to_be_visible()

    canvases = page.locator("canvas[data-chart]")
    expect(canvases.first).to_have_attribute("data-drawn", "true")
    count = canvases.count()
    assert count >= 12  # waits x4, tables x2, kitchen, sales x2, queue position, drop-off, forecast, what-if
    for i in range(count):
        canvas = canvases.nth(i)
        canvas.scroll_into_view_if_needed()
        assert canvas.evaluate(DRAWN), canvas.get_attribute("data-chart")
    expect(page.locator("#chart-what-if")).to_contain_text("would cut the mean wait from 33 to 14 min")

    # The same figures as a table, for anyone who cannot see the chart.
    page.locator("#chart-waits-by-hour summary").click()
    expect(page.locator("#chart-waits-by-hour table")).to_contain_text("19:00")

    # Another period, through the picker.
    page.get_by_label("Period", exact=True).select_option("28d")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("body")).to_contain_text("Last 28 days:")
    expect(page.locator("canvas[data-chart]").first).to_have_attribute("data-drawn", "true")


def test_a_host_sees_no_insights_link_and_is_refused_the_screen(
    app_server, open_page, restaurant, staff_user, staff_session
):
    page = open_page(f"{app_server.url}/restaurant/{restaurant.slug}/host/", session=staff_session(staff_user))
    expect(page.get_by_role("link", name="Kitchen")).to_be_visible()
    expect(page.get_by_role("link", name="Insights")).to_have_count(0)
    answer = page.goto(insights(app_server, restaurant))
    assert answer.status == 403
    expect(page.locator("body")).to_contain_text("Only a manager of Trattoria Verde can see insights")


def test_the_what_if_button_plays_the_evening_and_draws_its_chart_in_place(
    app_server, open_page, restaurant, history, manager_user, staff_session
):
    page = open_page(insights(app_server, restaurant), session=staff_session(manager_user))
    expect(page.locator("#what-if")).to_contain_text("Not worked out yet.")
    page.evaluate("window.__sameDocument = true")
    with page.expect_response(lambda r: r.url.endswith("/insights/what-if/"), timeout=240_000) as answer:
        page.get_by_role("button", name="Work out the what-if").click()
        expect(page.locator("#what-if-working")).to_be_visible()
    assert answer.value.status == 200
    expect(page.locator("#flash")).to_contain_text("The what-if is worked out")
    canvas = page.locator("#chart-what-if canvas")
    expect(canvas).to_have_attribute("data-drawn", "true")
    assert canvas.evaluate(DRAWN)
    assert page.evaluate("window.__sameDocument === true")  # swapped in place, no reload
    assert WhatIfRun.objects.get().status == WhatIfRun.DONE
