"""Every figure of the insights screen on small evenings worked out by hand: a Friday at
Trattoria Verde (4 tables, a 50-minute usual sitting, a 2-minute plating buffer; pizza
14.50 / 12 min, risotto 17.00 / 20 min, salad 12.00 / 6 min, tiramisu 8.00 / 3 min)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from insights import queries
from insights.periods import period_between
from orders import services

from .conftest import at

pytestmark = pytest.mark.django_db


def the_day(text, until=None):
    """The period of one whole day, seen from a later moment."""
    tz = timezone.get_current_timezone()
    day = date.fromisoformat(text)
    later = datetime(2030, 1, 1, tzinfo=tz)
    return period_between(day, date.fromisoformat(until) if until else day, later, tz)


@pytest.fixture
def friday(story):
    """Six parties on Friday 6 June 2025."""
    story.seated(at("2025-06-06 19:00"), quoted=15, waited=20, stayed=50, table=1, dishes={"pizza": 2})
    story.seated(at("2025-06-06 19:10"), quoted=20, waited=32, stayed=70, table=2, size=4,
                 dishes={"risotto": 4}, checked_in=6)
    story.left(at("2025-06-06 19:20"), quoted=30, after=10, dishes={"salad": 1})
    story.seated(at("2025-06-06 20:05"), quoted=10, waited=8, stayed=45, table=1,
                 dishes={"tiramisu": 2}, checked_in=2)
    story.no_show(at("2025-06-06 20:30"), quoted=25, size=6, dishes={"pizza": 3}, fired=12)
    story.waiting(at("2025-06-06 21:00"))


def test_the_fridays_headline_figures(restaurant, friday):
    s = queries.summary(restaurant, the_day("2025-06-06"))
    assert (s.joined, s.seated, s.left, s.no_shows, s.still_in_line, s.covers) == (6, 3, 1, 1, 1, 8)
    assert s.mean_wait == pytest.approx(20)  # (20 + 32 + 8) / 3
    assert s.p90_wait == pytest.approx(29.6)  # 20 + 0.8 x (32 - 20)
    # Quotes were 5 and 12 minutes short and 2 minutes long.
    assert s.quote_mae == pytest.approx(19 / 3)
    assert s.quote_bias == pytest.approx(5)
    assert (s.on_time, s.on_time_pct) == (2, pytest.approx(200 / 3))
    # Two parties stood at the door (6 and 2 minutes); the third walked straight in.
    assert (s.checked_in, s.lobby_over_5) == (2, 1)
    assert s.lobby_mean == pytest.approx(8 / 3)
    assert (s.completed, s.turn_mean) == (3, pytest.approx(55))
    # Who left and who did not show had ordered; only those who sat down paid.
    assert s.revenue == Decimal("113.00")  # 2 pizzas, 4 risottos, 2 tiramisus
    assert (s.revenue_per_party, s.revenue_per_cover) == (Decimal("37.67"), Decimal("14.13"))
    assert (s.ordered_by_leavers, s.ordered_by_no_shows) == (Decimal("12.00"), Decimal("43.50"))
    # Out of the five parties whose evening is over, one left and one did not show.
    assert (s.left_pct, s.no_show_pct) == (20, 20)


def test_an_empty_period_has_no_figures_only_zeros(restaurant, friday):
    s = queries.summary(restaurant, the_day("2025-06-09"))
    assert (s.joined, s.seated, s.covers, s.revenue) == (0, 0, 0, Decimal("0.00"))
    assert s.mean_wait is s.p90_wait is s.quote_mae is s.on_time_pct is s.revenue_per_party is None
    assert queries.waits_by_hour(restaurant, the_day("2025-06-09")) == []
    assert queries.table_use_by_hour(restaurant, the_day("2025-06-09"), at("2030-01-01 00:00"), 4) == []
    assert queries.prep_by_dish(restaurant, the_day("2025-06-09")) == []
    assert queries.idle_tables(restaurant, the_day("2025-06-09")).mean_idle is None


def test_waits_by_the_hour_parties_joined(restaurant, friday):
    rows = {r.label: r for r in queries.waits_by_hour(restaurant, the_day("2025-06-06"))}
    assert list(rows) == ["19:00", "20:00", "21:00"]
    seven = rows["19:00"]
    assert (seven.joined, seven.seated, seven.left, seven.no_shows) == (3, 2, 1, 0)
    assert (seven.mean_wait, seven.p90_wait) == (pytest.approx(26), pytest.approx(30.8))
    assert (seven.quote_mae, seven.quote_bias, seven.on_time) == (pytest.approx(8.5), pytest.approx(8.5), 1)
    eight = rows["20:00"]
    assert (eight.joined, eight.seated, eight.no_shows, eight.mean_wait, eight.p90_wait) == (2, 1, 1, 8, 8)
    # The party still in line has not sat down: nothing to average yet.
    nine = rows["21:00"]
    assert (nine.joined, nine.seated, nine.mean_wait, nine.p90_wait) == (1, 0, None, None)


def test_waits_by_party_size_and_weekday(restaurant, friday):
    sizes = {r.label: (r.joined, r.seated, r.mean_wait) for r in queries.waits_by_size(restaurant, the_day("2025-06-06"))}
    assert sizes == {"1-2": (4, 2, pytest.approx(14)), "3-4": (1, 1, 32), "5-6": (1, 0, None)}
    days = queries.waits_by_weekday(restaurant, the_day("2025-06-02", until="2025-06-08"))
    assert [(r.label, r.joined) for r in days] == [("Fri", 6)]


def test_a_party_that_never_sat_down_counts_as_joined_but_not_in_waits(restaurant, story):
    story.left(at("2025-06-06 19:00"), quoted=45, after=30)
    story.no_show(at("2025-06-06 19:05"))
    s = queries.summary(restaurant, the_day("2025-06-06"))
    assert (s.joined, s.seated, s.left, s.no_shows) == (2, 0, 1, 1)
    assert s.mean_wait is s.p90_wait is s.quote_mae is s.quote_bias is None
    assert queries.table_turns(restaurant, the_day("2025-06-06")) == []


def test_past_visits_imported_from_before_readytable_count_nowhere(restaurant, friday):
    services.import_past_sittings(restaurant.pk, [(2, at("2025-06-06 19:00"), at("2025-06-06 20:00"))])
    s = queries.summary(restaurant, the_day("2025-06-06"))
    assert (s.joined, s.seated) == (6, 3)


def test_table_turns_by_party_size_against_the_usual_sitting(restaurant, friday):
    turns = queries.table_turns(restaurant, the_day("2025-06-06"))
    assert [(t.label, t.completed, t.mean_minutes, t.median_minutes, t.configured) for t in turns] == [
        ("1-2", 2, pytest.approx(47.5), pytest.approx(47.5), 50),
        ("3-4", 1, pytest.approx(70), pytest.approx(70), 50),
    ]
    assert turns[1].over_configured == pytest.approx(20)


def test_freed_tables_idle_while_the_next_party_was_still_in_the_queue(restaurant, story):
    # Table 1 frees at 19:40; the next party joined at 19:30 and was told to come at 19:50.
    story.seated(at("2025-06-06 18:50"), waited=10, stayed=40, table=1)
    story.seated(at("2025-06-06 19:30"), waited=30, notified=20, stayed=30, table=1)
    # It frees again at 20:30; nobody was waiting until a party joined at 20:40, told at 20:45.
    story.seated(at("2025-06-06 20:40"), waited=15, notified=5, stayed=30, table=1)
    # Table 2 frees at 20:00 and its next party had been told to come at 19:55: never idle.
    story.seated(at("2025-06-06 18:55"), waited=5, stayed=60, table=2)
    story.seated(at("2025-06-06 19:10"), waited=55, notified=45, stayed=30, table=2)
    idle = queries.idle_tables(restaurant, the_day("2025-06-06"))
    assert (idle.freed, idle.idle_minutes, idle.idle_freed) == (3, pytest.approx(15), 2)
    assert idle.mean_idle == pytest.approx(5)


def test_tables_in_use_by_hour(restaurant, story):
    story.seated(at("2025-06-06 18:50"), waited=10, stayed=60)  # 19:00-20:00
    story.seated(at("2025-06-06 19:20"), waited=10, stayed=60)  # 19:30-20:30
    use = queries.table_use_by_hour(restaurant, the_day("2025-06-06"), at("2030-01-01 00:00"), 4)
    assert [(u.label, u.tables_in_use, u.share) for u in use] == [
        ("19:00", pytest.approx(1.5), pytest.approx(37.5)),
        ("20:00", pytest.approx(0.5), pytest.approx(12.5)),
    ]


def test_a_sitting_across_midnight_holds_its_table_on_both_sides(restaurant, story):
    story.seated(at("2025-06-06 23:20"), waited=10, stayed=60)  # 23:30 Friday to 00:30 Saturday
    story.seated(at("2025-06-07 00:20"), waited=10, stayed=20)  # joined after midnight
    friday_only = the_day("2025-06-06")
    assert queries.summary(restaurant, friday_only).joined == 1
    use = queries.table_use_by_hour(restaurant, friday_only, at("2030-01-01 00:00"), 4)
    assert [(u.label, u.tables_in_use) for u in use] == [
        ("00:00", pytest.approx(0.5)), ("23:00", pytest.approx(0.5)),
    ]
    both = the_day("2025-06-06", until="2025-06-07")
    assert queries.summary(restaurant, both).joined == 2
    # Two evenings with service: on average half a table at 23:00, and at midnight half a
    # table plus the second party's 20 minutes.
    use = {u.label: u.tables_in_use for u in queries.table_use_by_hour(restaurant, both, at("2030-01-01 00:00"), 4)}
    assert use == {"00:00": pytest.approx((30 + 20) / 60 / 2), "23:00": pytest.approx(30 / 60 / 2)}


def test_a_party_still_at_its_table_holds_it_until_now(restaurant, story):
    story.seated(at("2025-06-06 19:00"), waited=0)
    use = queries.table_use_by_hour(restaurant, the_day("2025-06-06"), at("2025-06-06 19:45"), 4)
    assert [(u.label, u.tables_in_use) for u in use] == [("19:00", pytest.approx(0.75))]


@pytest.fixture
def kitchen_evening(story):
    # Risotto and salad: slowest 20 min. Arrives 18:30, so fire by 18:08; fired 18:05, ready 18:27.
    story.seated(at("2025-06-06 18:00"), waited=30, dishes={"risotto": 1, "salad": 1}, fired=5, ready=27)
    # Two pizzas: arrives 18:35, fire by 18:21; fired 18:27 (6 late), ready 18:41, after seating.
    story.seated(at("2025-06-06 18:10"), waited=25, dishes={"pizza": 2}, fired=17, ready=31)
    # One pizza: arrives 18:40, fire by 18:26; fired 18:29 (3 late), ready 18:39.
    story.seated(at("2025-06-06 18:20"), waited=20, dishes={"pizza": 1}, fired=9, ready=19)
    # Risotto for a party told to come as it joined at 18:50 (due 19:00): its fire time,
    # 18:38, was before it joined, and it was fired as it joined: on time.
    story.seated(at("2025-06-06 18:50"), waited=24, notified=0, dishes={"risotto": 1}, fired=0)


def test_tickets_started_after_their_fire_time(restaurant, kitchen_evening):
    late = queries.late_tickets(restaurant, the_day("2025-06-06"))
    assert (late.tickets, late.late) == (4, 2)
    assert (late.mean_minutes_late, late.most_minutes_late) == (pytest.approx(4.5), pytest.approx(6))


def test_prep_time_by_the_dish_a_ticket_waits_for(restaurant, kitchen_evening):
    dishes = queries.prep_by_dish(restaurant, the_day("2025-06-06"))
    assert [(d.dish, d.tickets, d.mean_minutes, d.estimate) for d in dishes] == [
        ("Margherita pizza", 2, pytest.approx(12), 12),
        ("Mushroom risotto", 1, pytest.approx(22), 20),
    ]
    assert dishes[1].over_estimate == pytest.approx(2)


def test_food_ready_when_the_party_sat_down(restaurant, kitchen_evening):
    s = queries.summary(restaurant, the_day("2025-06-06"))
    assert (s.food_marked_ready, s.food_ready_at_seating) == (3, 2)


def test_sales_by_hour_and_by_dish(restaurant, friday):
    by_hour = queries.sales_by_hour(restaurant, the_day("2025-06-06"))
    # Seated at 19:20 and 19:42, and at 20:13.
    assert [(r.label, r.parties, r.revenue) for r in by_hour] == [
        ("19:00", 2, Decimal("97.00")), ("20:00", 1, Decimal("16.00")),
    ]
    by_dish = queries.sales_by_dish(restaurant, the_day("2025-06-06"))
    assert [(r.label, r.quantity, r.revenue) for r in by_dish] == [
        ("Mushroom risotto", 4, Decimal("68.00")),
        ("Margherita pizza", 2, Decimal("29.00")),
        ("Tiramisu", 2, Decimal("16.00")),
    ]


def test_what_parties_who_left_or_never_came_had_ordered(restaurant, friday):
    lost = queries.lost_orders(restaurant, the_day("2025-06-06"))
    assert (lost.left, lost.left_value) == (1, Decimal("12.00"))
    assert (lost.no_shows, lost.no_show_value) == (1, Decimal("43.50"))
    assert (lost.fired_for_no_shows, lost.fired_value) == (1, Decimal("43.50"))


def test_revenue_by_the_place_in_line_a_party_was_given(restaurant, story):
    story.seated(at("2025-06-06 19:00"), waited=30, notified=20, dishes={"pizza": 1})  # 1st
    story.seated(at("2025-06-06 19:05"), waited=30, notified=20, dishes={"risotto": 2})  # 2nd
    story.left(at("2025-06-06 19:10"), after=10, dishes={"salad": 1})  # 3rd, gave up
    # By 19:25 the first two were told to come and the third had left: first in line.
    story.seated(at("2025-06-06 19:25"), waited=10, dishes={"tiramisu": 1})
    rows = queries.revenue_by_queue_position(restaurant, the_day("2025-06-06"))
    assert [(r.label, r.joined, r.seated, r.left, r.revenue, r.revenue_per_party) for r in rows] == [
        ("1st", 2, 2, 0, Decimal("22.50"), Decimal("11.25")),
        ("2nd", 1, 1, 0, Decimal("34.00"), Decimal("34.00")),
        ("3rd", 1, 0, 1, Decimal("0.00"), Decimal("0.00")),
    ]


def test_drop_off_against_the_quoted_wait(restaurant, story):
    for _ in range(2):
        story.seated(at("2025-06-06 19:00"), quoted=5, waited=5)
    story.left(at("2025-06-06 19:00"), quoted=50)
    story.seated(at("2025-06-06 19:00"), quoted=50, waited=45)
    for _ in range(2):
        story.left(at("2025-06-06 19:00"), quoted=70)
    story.waiting(at("2025-06-06 19:30"), quoted=70)  # has not decided yet
    rows = queries.drop_off_by_quote(restaurant, the_day("2025-06-06"))
    assert [(r.label, r.joined, r.left, r.left_pct) for r in rows] == [
        ("0-9 min", 2, 0, 0), ("45-59 min", 2, 1, 50), ("60+ min", 2, 2, 100),
    ]


@override_settings(TIME_ZONE="Europe/Lisbon")
def test_the_night_the_clocks_go_back_has_25_hours_and_counts_in_local_time(restaurant, story):
    # Sunday 26 October 2025: at 02:00 Lisbon's clocks go back to 01:00 (UTC+1 to UTC+0).
    story.seated(at("2025-10-25 23:50"), waited=10)  # Saturday evening
    first_half_past_one = datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # 01:30 summer time
    second_half_past_one = datetime(2025, 10, 26, 1, 30, tzinfo=UTC)  # 01:30 winter time
    story.seated(first_half_past_one, waited=5)
    story.seated(second_half_past_one, waited=15)
    story.seated(at("2025-10-26 23:30"), waited=20)  # Sunday, late
    story.seated(at("2025-10-27 00:10"), waited=25)  # Monday
    sunday = the_day("2025-10-26")
    assert (sunday.end.astimezone(UTC) - sunday.start.astimezone(UTC)).total_seconds() == 25 * 3600
    s = queries.summary(restaurant, sunday)
    assert (s.joined, s.mean_wait) == (3, pytest.approx(40 / 3))
    hours = {r.label: r.joined for r in queries.waits_by_hour(restaurant, sunday)}
    assert hours == {"01:00": 2, "23:00": 1}
    days = {r.label: r.joined for r in queries.waits_by_weekday(restaurant, the_day("2025-10-25", until="2025-10-27"))}
    assert days == {"Sat": 1, "Sun": 3, "Mon": 1}


@override_settings(TIME_ZONE="Europe/Lisbon")
def test_the_night_the_clocks_go_forward_has_23_hours(restaurant, story):
    # Sunday 30 March 2025: at 01:00 the clocks go forward to 02:00.
    story.seated(datetime(2025, 3, 29, 23, 59, tzinfo=UTC), waited=5)  # Saturday 23:59
    story.seated(datetime(2025, 3, 30, 0, 30, tzinfo=UTC), waited=5)  # Sunday 00:30
    story.seated(datetime(2025, 3, 30, 1, 30, tzinfo=UTC), waited=5)  # Sunday 02:30
    sunday = the_day("2025-03-30")
    assert (sunday.end.astimezone(UTC) - sunday.start.astimezone(UTC)).total_seconds() == 23 * 3600
    assert {r.label: r.joined for r in queries.waits_by_hour(restaurant, sunday)} == {"00:00": 1, "02:00": 1}


def test_a_party_told_to_come_as_it_joined_is_ahead_of_nobody(restaurant, story):
    # Two parties join at 19:00; the first is told to come at once (a free table).
    story.seated(at("2025-06-06 19:00"), waited=10, notified=0, dishes={"pizza": 1})
    story.seated(at("2025-06-06 19:00"), waited=30, notified=20, dishes={"pizza": 1})
    # At 19:05 the second is still waiting: the newcomer is second in line.
    story.seated(at("2025-06-06 19:05"), waited=30, notified=25, dishes={"pizza": 1})
    rows = queries.revenue_by_queue_position(restaurant, the_day("2025-06-06"))
    assert [(r.label, r.joined) for r in rows] == [("1st", 2), ("2nd", 1)]


def test_a_party_told_to_come_before_it_joined_by_a_slip_of_the_clock_is_still_placed(restaurant, story):
    # A host's tablet with a clock a few minutes fast: told to come "before" joining.
    story.seated(at("2025-06-06 19:00"), waited=30, notified=-3, dishes={"pizza": 1})
    story.seated(at("2025-06-06 19:01"), waited=30, notified=20, dishes={"pizza": 1})
    rows = queries.revenue_by_queue_position(restaurant, the_day("2025-06-06"))
    assert [(r.label, r.joined) for r in rows] == [("1st", 2)]
