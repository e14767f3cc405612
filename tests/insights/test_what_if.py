"""The what-if: the busiest forecast day played through the real simulator, in a process of
its own, with today's tables and with one more table of each size.

Casa Verde here has a small room (one 2-top, one 4-top) and the last two Fridays of history: couples
and parties of four at 19:00 and 20:00, staying about an hour."""

import csv
import io
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from insights import whatif
from insights.forecast import DayForecast
from insights.models import WhatIfRun
from orders import clock, services, simulation

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_room(restaurant):
    services.set_up_tables(restaurant.pk, {2: 1, 4: 1}, "test")
    restaurant.refresh_from_db()
    return restaurant


@pytest.fixture
def two_fridays(small_room, story):
    story.tables = {t.number: t for t in small_room.tables.all()}
    for friday in ("2025-05-30", "2025-06-06"):
        for n, (hour, size) in enumerate([(19, 2), (19, 4), (19, 2), (20, 2), (20, 4), (20, 2)]):
            story.seated(at(f"{friday} {hour}:{10 * n:02d}"), waited=15, stayed=55 + n, size=size,
                         dishes={"pizza": size}, fired=3, ready=16)
        story.no_show(at(f"{friday} 21:00"), dishes={"salad": 1})


@pytest.fixture
def saturday_morning():
    manual = clock.ManualClock(at("2025-06-07 10:00"))
    with clock.use(manual, all_threads=True):
        yield manual


def test_the_evening_is_built_from_the_forecast_and_the_restaurants_own_habits(
    small_room, two_fridays, menu
):
    now = at("2025-06-07 10:00")
    habits = whatif.habits(small_room, now)
    assert habits.sizes == {2: 10, 4: 4}  # the no-shows were couples
    assert habits.no_show_rate == pytest.approx(2 / 14)
    assert habits.dishes == {"Margherita pizza": 32, "Burrata salad": 2}
    friday = DayForecast(day=date(2025, 6, 13), hours={19: 2.6, 20: 3.4, 21: 0.4})
    room = [(2, 1), (4, 1)]
    scenario = whatif.build_scenario(small_room, friday, habits, room, list(menu.values()), now)
    parties = scenario["parties"]
    # 6.4 parties expected: 3 at 19:00 and 3 at 20:00, joining evenly through the hour.
    assert scenario["start"] == 19 * 60
    assert [p["join"] for p in parties] == [10, 30, 50, 70, 90, 110]
    # Sizes in proportion to the history (10 couples to 4 parties of four), as near as 6 allow.
    assert sorted(p["party_size"] for p in parties) == [2, 2, 2, 2, 2, 4]
    assert all(55 <= p["dine_minutes"] <= 60 for p in parties)
    assert all(sum(p["items"].values()) == p["party_size"] for p in parties)
    assert scenario["restaurant"]["tables"] == [{"seats": 2, "count": 1}, {"seats": 4, "count": 1}]
    assert len(scenario["history"]) == 12
    simulation.load_scenario(scenario)  # a scenario the simulator accepts as it is


def test_whole_parties_from_fractional_forecasts_keep_the_days_total():
    # 6.8 parties make 7; of two equal remainders the earlier hour gets the party.
    assert whatif._spread({18: 0.4, 19: 2.6, 20: 3.4, 21: 0.4}) == {18: 1, 19: 3, 20: 3}
    assert whatif._spread({19: 0.2}) == {}


def test_the_extra_table_that_cuts_the_mean_wait_most_is_chosen():
    scenario = {"start": 19 * 60, "parties": [{"no_show": False}] * 3}
    variants = whatif.room_variants([(2, 1), (4, 1)])
    assert [label for label, _, _ in variants] == ["Today's tables", "One more 2-top", "One more 4-top"]
    played = {
        # (join minute, size, seated minute, no-show)
        "Today's tables": [(0, 2, 30, False), (30, 2, 90, False), (70, 4, 100, False)],
        "One more 2-top": [(0, 2, 0, False), (30, 2, 30, False), (70, 4, 100, False)],
        "One more 4-top": [(0, 2, 5, False), (30, 2, 40, False), (70, 4, 71, False)],
    }
    result = whatif.summarise(scenario, variants, played)
    today, two, four = result["rooms"]
    assert today["mean_wait"] == pytest.approx((30 + 60 + 30) / 3)
    assert today["waits_by_hour"] == {"19": 45.0, "20": 30.0}
    assert (two["mean_wait"], four["mean_wait"]) == (pytest.approx(10), pytest.approx((5 + 10 + 1) / 3))
    assert result["best"] == "One more 4-top"


def test_no_table_is_chosen_when_none_saves_a_minute():
    scenario = {"start": 19 * 60, "parties": [{"no_show": False}]}
    variants = whatif.room_variants([(2, 1)])
    played = {"Today's tables": [(0, 2, 0, False)], "One more 2-top": [(0, 2, 0, False)]}
    assert whatif.summarise(scenario, variants, played)["best"] is None


def test_the_manager_works_out_what_one_more_table_would_do(
    small_room, two_fridays, manager_user, saturday_morning
):
    browser = Client()
    browser.force_login(manager_user)
    url = reverse("insights:what_if", args=[small_room.slug])
    response = browser.post(url, {"period": "7d"})
    assert response.status_code == 302
    assert response["Location"].endswith("?period=7d#what-if")
    run = WhatIfRun.objects.get()
    assert (run.status, run.day) == (WhatIfRun.DONE, date(2025, 6, 13))  # next Friday
    rooms = {room["label"]: room for room in run.result["rooms"]}
    assert set(rooms) == {"Today's tables", "One more 2-top", "One more 4-top"}
    # Six parties an hour into two tables: they wait with today's room, less with a third table.
    assert rooms["Today's tables"]["seated"] > 0
    assert rooms["Today's tables"]["mean_wait"] > 0
    assert run.result["best"] in ("One more 2-top", "One more 4-top")
    assert rooms[run.result["best"]]["mean_wait"] <= rooms["Today's tables"]["mean_wait"] - 1

    page = browser.get(reverse("insights:page", args=[small_room.slug])).content.decode()
    assert "What one more table would do" in page
    assert 'id="chart-data-what-if"' in page
    today = rooms["Today's tables"]
    assert f"would cut the mean wait from {today['mean_wait']:.0f}" in page
    download = browser.get(reverse("insights:csv", args=[small_room.slug, "what-if"]))
    assert download.status_code == 200
    header, *hours = csv.reader(io.StringIO(download.content.decode()))
    assert header == [
        "Hour joined", "Mean wait, today's tables (min)", "Mean wait, one more 2-top (min)",
        "Mean wait, one more 4-top (min)",
    ]
    assert [row[0] for row in hours] == ["19:00", "20:00"]


def test_a_second_click_while_the_evening_is_being_played_is_told_so(
    small_room, two_fridays, manager_user, saturday_morning
):
    WhatIfRun.objects.create(restaurant=small_room, day=date(2025, 6, 13), started_at=at("2025-06-07 09:59"))
    browser = Client()
    browser.force_login(manager_user)
    url = reverse("insights:what_if", args=[small_room.slug])
    response = browser.post(url, {"period": "7d"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "already being worked out (since 09:59)" in response.content.decode()
    response = browser.post(url, {"period": "7d"})
    assert response.status_code == 409
    assert "already being worked out" in response.content.decode()


def test_a_run_that_died_with_its_server_does_not_block_the_next(small_room, saturday_morning):
    WhatIfRun.objects.create(restaurant=small_room, day=date(2025, 6, 13), started_at=at("2025-06-07 09:00"))
    run = whatif._start_run(small_room, date(2025, 6, 13), at("2025-06-07 10:00"))
    assert run.status == WhatIfRun.RUNNING
    assert WhatIfRun.objects.filter(status=WhatIfRun.FAILED).count() == 1


def test_without_a_week_of_history_there_is_no_evening_to_play(restaurant, manager_user, saturday_morning):
    browser = Client()
    browser.force_login(manager_user)
    response = browser.post(reverse("insights:what_if", args=[restaurant.slug]), HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "not enough history for a forecast" in response.content.decode()
    assert not WhatIfRun.objects.exists()


def test_the_button_is_a_form_with_a_forgery_token(small_room, two_fridays, manager_user, saturday_morning):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager_user)
    response = browser.post(reverse("insights:what_if", args=[small_room.slug]))
    assert response.status_code == 403
    assert not WhatIfRun.objects.exists()
    page = browser.get(reverse("insights:page", args=[small_room.slug])).content.decode()
    form = page[page.index('action="/restaurant/trattoria-verde/insights/what-if/"'):]
    assert 'name="csrfmiddlewaretoken"' in form[: form.index("</form>")]


def test_the_command_works_it_out_for_a_cron_job(small_room, two_fridays, saturday_morning, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    # The simulator itself is played for real in the test above; here, a quick stand-in.
    def play(scenario, variants):
        return {label: [(0, 2, 20 if seats is None else 5, False)] for label, seats, _ in variants}

    monkeypatch.setattr(whatif, "play", play)
    out = StringIO()
    call_command("insights_whatif", small_room.slug, stdout=out)
    assert "Trattoria Verde: Friday 13 June, 7 parties forecast; best: One more 2-top." in out.getvalue()
    assert WhatIfRun.objects.get().status == WhatIfRun.DONE


def test_the_command_names_a_restaurant_that_does_not_exist(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="No restaurant at: nowhere"):
        call_command("insights_whatif", "nowhere")
