"""The insights screen over HTTP: managers and the owner read it, nobody else does; the
period picker refuses what it cannot show; every table downloads as CSV."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from orders import clock
from orders.models import MenuItem

from .conftest import at

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def logged_in(user):
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def saturday_morning():
    """The screen is read on Saturday 7 June 2025 at 10:00."""
    manual = clock.ManualClock(at("2025-06-07 10:00"))
    with clock.use(manual, all_threads=True):
        yield manual


@pytest.fixture
def manager(manager_user):
    return logged_in(manager_user)


@pytest.fixture
def friday(story):
    story.seated(at("2025-06-06 19:00"), quoted=15, waited=20, stayed=50, table=1, dishes={"pizza": 2})
    story.seated(at("2025-06-06 19:10"), quoted=20, waited=32, stayed=70, table=2, size=4, dishes={"risotto": 4})
    story.left(at("2025-06-06 19:20"), quoted=30, dishes={"salad": 1})
    story.no_show(at("2025-06-06 20:30"), quoted=25, dishes={"pizza": 3})


def page(restaurant, **params):
    return reverse("insights:page", args=[restaurant.slug]), params


def csv_of(browser, restaurant, table, **params):
    response = browser.get(reverse("insights:csv", args=[restaurant.slug, table]), params)
    return response, list(csv.reader(io.StringIO(response.content.decode()))) if response.status_code == 200 else None


def test_the_manager_reads_the_last_seven_days_against_the_seven_before(
    manager, restaurant, friday, saturday_morning
):
    response = manager.get(*page(restaurant))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Trattoria Verde — insights" in text
    assert "Last 7 days: <strong>Sun 1 Jun 2025 – Sat 7 Jun 2025</strong>, compared with Sun 25 May 2025 – Sat 31 May 2025" in text
    for section in ("Waits and quotes", "The door and the tables", "The kitchen",
                    "Revenue from pre-orders", "Drop-off", "Demand forecast", "What diners see"):
        assert section in text
    # Each chart's figures travel as JSON beside its canvas, never as an inline script.
    assert 'id="chart-data-waits-by-hour" type="application/json"' in text
    assert 'data-chart="chart-data-waits-by-hour"' in text
    assert "<script>" not in text and " style=" not in text
    # Two parties sat down, so the findings wait for more history.
    assert "Findings need at least 30 parties seated in the period; this one has 2." in text


def test_the_staff_header_links_managers_to_insights(manager, client, staff_user, restaurant):
    host_stand = reverse("staff:host", args=[restaurant.slug])
    insights = reverse("insights:page", args=[restaurant.slug])
    assert f'href="{insights}"' in manager.get(host_stand).content.decode()
    assert f'href="{insights}"' not in logged_in(staff_user).get(host_stand).content.decode()


def test_hosts_and_the_kitchen_are_refused_with_the_reason(restaurant, staff_user):
    # Hosts and kitchen staff share one role: "Host and kitchen".
    for url in (page(restaurant)[0], reverse("insights:csv", args=[restaurant.slug, "waits-by-hour"])):
        response = logged_in(staff_user).get(url)
        assert response.status_code == 403
        assert "Only a manager of Trattoria Verde can" in response.content.decode()
    response = logged_in(staff_user).post(reverse("insights:what_if", args=[restaurant.slug]))
    assert response.status_code == 403


def test_another_restaurants_manager_is_refused(restaurant, other_restaurant, django_user_model):
    from orders.models import StaffRole

    theirs = django_user_model.objects.create(username="azul-manager")
    other_restaurant.staff.add(theirs, through_defaults={"role": StaffRole.MANAGER})
    response = logged_in(theirs).get(page(restaurant)[0])
    assert response.status_code == 403
    assert "not on the staff of Trattoria Verde" in response.content.decode()


def test_strangers_are_sent_to_log_in_first(client, restaurant):
    for url in (page(restaurant)[0], reverse("insights:csv", args=[restaurant.slug, "waits-by-hour"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("staff:login"))


def test_the_owner_reads_any_restaurants_insights(restaurant, django_user_model, saturday_morning):
    owner = django_user_model.objects.create(username="owner", is_superuser=True)
    assert logged_in(owner).get(page(restaurant)[0]).status_code == 200


def test_a_restaurant_that_does_not_exist_is_not_found(manager):
    assert manager.get(reverse("insights:page", args=["nowhere"])).status_code == 404


@pytest.mark.parametrize(
    "params, says",
    [
        ({"period": "custom", "start": "2025-06-05", "end": "2025-06-01"}, "before it starts"),
        ({"period": "custom", "start": "2024-01-01", "end": "2025-06-01"}, "at most 366 days"),
        ({"period": "custom", "start": "2025-06-01", "end": "2025-06-30"}, "ends after today"),
        ({"period": "custom", "start": "yesterday", "end": "2025-06-01"}, "is not a date"),
        ({"period": "custom", "start": "", "end": "2025-06-01"}, "Choose the first day"),
        ({"period": "fortnight"}, "Pick today, the last 7 days"),
    ],
)
def test_a_period_the_picker_cannot_show_is_refused_with_why(manager, restaurant, saturday_morning, params, says):
    response = manager.get(page(restaurant)[0], params)
    assert response.status_code == 400
    assert says in response.content.decode()
    response, _ = csv_of(manager, restaurant, "waits-by-hour", **params)
    assert response.status_code == 400
    assert says in response.content.decode()


def test_a_custom_range_and_today(manager, restaurant, friday, saturday_morning):
    response = manager.get(page(restaurant)[0], {"period": "custom", "start": "2025-06-06", "end": "2025-06-06"})
    assert response.status_code == 200
    assert "Fri 6 Jun 2025</strong>, compared with Thu 5 Jun 2025" in response.content.decode()
    response = manager.get(page(restaurant)[0], {"period": "today"})
    assert response.status_code == 200
    assert "Sat 7 Jun 2025</strong>, compared with Fri 6 Jun 2025" in response.content.decode()


def test_each_table_downloads_as_csv_for_the_period(manager, restaurant, friday, saturday_morning):
    response, rows = csv_of(manager, restaurant, "waits-by-hour", period="custom", start="2025-06-06", end="2025-06-06")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="trattoria-verde-waits-by-hour-2025-06-06_2025-06-06.csv"'
    assert rows[0][:3] == ["Hour joined", "Parties joined", "Seated"]
    assert rows[1][:7] == ["19:00", "3", "2", "1", "0", "26.0", "30.8"]
    assert rows[2][:5] == ["20:00", "1", "0", "0", "1"]
    for table in ("quote-accuracy-by-hour", "waits-by-weekday", "waits-by-size", "table-use-by-hour",
                  "table-turn-by-size", "prep-by-dish", "sales-by-hour", "sales-by-dish",
                  "revenue-per-queue-position", "drop-off-by-quote", "demand-forecast"):
        response, rows = csv_of(manager, restaurant, table)
        assert response.status_code == 200, table
        assert rows[0], table
    _, dishes = csv_of(manager, restaurant, "sales-by-dish")
    assert dishes[1:] == [["Mushroom risotto", "4", "1", "68.00"], ["Margherita pizza", "2", "1", "29.00"]]


def test_a_dish_named_like_a_formula_arrives_as_text(manager, restaurant, story, saturday_morning):
    sneaky = MenuItem.objects.create(restaurant=restaurant, name="=HYPERLINK(1)", price="5.00")
    story.menu["sneaky"] = sneaky
    story.seated(at("2025-06-06 19:00"), dishes={"sneaky": 1})
    _, rows = csv_of(manager, restaurant, "sales-by-dish")
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_unknown_tables_and_a_what_if_never_worked_out_are_not_found(manager, restaurant, saturday_morning):
    response, _ = csv_of(manager, restaurant, "secret-sauce")
    assert response.status_code == 404
    response, _ = csv_of(manager, restaurant, "what-if")
    assert response.status_code == 404
    assert "not been worked out yet" in response.content.decode()


def test_the_screen_is_only_read(manager, restaurant, saturday_morning):
    response = manager.post(page(restaurant)[0])
    assert response.status_code == 405


def test_the_screen_reads_as_often_for_a_busy_month_as_for_a_quiet_one(
    manager, restaurant, story, saturday_morning
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_to_show():
        with CaptureQueriesContext(connection) as captured:
            assert manager.get(page(restaurant)[0], {"period": "28d"}).status_code == 200
        return len(captured)

    story.seated(at("2025-06-06 19:00"), stayed=40, table=1, dishes={"pizza": 1}, fired=2, ready=15)
    quiet = queries_to_show()
    start = at("2025-05-12 18:00")
    for day in range(25):
        for n in range(6):
            joined = start + timedelta(days=day, minutes=20 * n)
            story.seated(joined, waited=10 + n, stayed=45, table=1 + n % 4, dishes={"pizza": 1, "salad": 1}, fired=2, ready=15)
        story.left(start + timedelta(days=day, minutes=5), dishes={"risotto": 1})
        story.no_show(start + timedelta(days=day, minutes=7))
    assert queries_to_show() == quiet
