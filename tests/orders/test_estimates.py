"""The wait a diner is quoted, worked out by hand on small rooms.

It is 19:00 ("NOW"); every party sits 50 minutes unless the restaurant's history says
otherwise. In the comments "+20" means 20 minutes from now. A party "here" can sit the moment
its table frees; one "10 away" cannot sit before +10.
"""

from datetime import UTC, datetime, timedelta

import pytest

from orders.estimates import (
    DiningTimes,
    NotifyRule,
    PartyInLine,
    Sitting,
    TableState,
    minutes_until,
    plan_seating,
    seed_formula_wait,
    table_states,
)

NOW = datetime(2025, 6, 6, 19, 0, tzinfo=UTC)
NO_HISTORY = DiningTimes([], default_minutes=50, tz=UTC)


def at(minutes):
    return NOW + timedelta(minutes=minutes)


def ago(minutes):
    return NOW - timedelta(minutes=minutes)


def free(key, seats=4):
    return TableState(key, seats, NOW)


def busy(key, until, seats=4):
    return TableState(key, seats, at(until))


def party(key, size=2, away=0):
    return PartyInLine(key, size, at(away))


def waits(tables, parties, times=NO_HISTORY):
    plan = plan_seating(tables, parties, times, NOW)
    return {key: None if s is None else minutes_until(s.seat_at, NOW) for key, s in plan.items()}


def history(size, minutes, hour=19, count=10):
    """`count` past sittings of parties of `size`, seated at `hour`:00, of these lengths."""
    lengths = minutes if isinstance(minutes, list) else [minutes] * count
    return [Sitting(size, NOW.replace(hour=hour) - timedelta(days=1), m) for m in lengths]


# --- free tables, full rooms, long queues ---------------------------------------------


def test_party_already_at_the_door_of_a_room_with_a_free_table_waits_nothing():
    assert waits([free("T1"), busy("T2", 40)], [party("new")]) == {"new": 0}


def test_party_ten_minutes_away_from_a_free_table_is_quoted_its_trip():
    # The table is free now, but the party cannot sit before it gets here.
    assert waits([free("T1")], [party("new", away=10)]) == {"new": 10}


def test_free_tables_go_to_the_first_parties_then_the_wait_starts():
    # Tables: now, now, now, +40. Three parties take the free ones; the fourth waits +40.
    tables = [free("T1"), free("T2"), free("T3"), busy("T4", 40)]
    parties = [party(n) for n in ("a", "b", "c", "d")]
    assert waits(tables, parties) == {"a": 0, "b": 0, "c": 0, "d": 40}


def test_full_room_frees_tables_in_the_order_they_are_expected_to_clear():
    tables = [busy("T1", 20), busy("T2", 5), busy("T3", 45)]
    assert waits(tables, [party("a"), party("b"), party("c")]) == {"a": 5, "b": 20, "c": 45}


def test_long_queue_wraps_around_to_second_sittings():
    # Two tables free at +10 and +40. a sits at +10 (that table frees again at +60),
    # b at +40 (again at +90), c at +60 (again at +110), d at +90, e at +110.
    tables = [busy("T1", 10), busy("T2", 40)]
    parties = [party(n) for n in "abcde"]
    assert waits(tables, parties) == {"a": 10, "b": 40, "c": 60, "d": 90, "e": 110}


def test_a_party_far_away_does_not_hold_up_the_table_for_the_next_sitting():
    # One table, free now. a is 30 minutes away: sits at +30, so the table frees at +80
    # and b (here already) waits until then.
    assert waits([free("T1")], [party("a", away=30), party("b")]) == {"a": 30, "b": 80}


def test_a_wait_of_a_few_seconds_is_quoted_as_a_whole_minute():
    assert minutes_until(NOW + timedelta(seconds=20), NOW) == 1
    assert minutes_until(NOW + timedelta(minutes=3), NOW) == 3
    assert minutes_until(NOW - timedelta(minutes=3), NOW) == 0


# --- the occupied tables themselves ----------------------------------------------------


def test_occupied_table_frees_one_usual_sitting_after_its_party_sat_down():
    [state] = table_states([("T1", 4, 2, ago(30))], [], NO_HISTORY, NOW)
    assert state.free_at == at(20)


def test_overdue_table_with_no_history_counts_as_freeing_now_never_in_the_past():
    [state] = table_states([("T1", 4, 2, ago(70))], [], NO_HISTORY, NOW)
    assert state.free_at == NOW
    assert waits([state], [party("a")]) == {"a": 0}


def test_overdue_table_is_expected_to_stay_as_long_as_parties_who_stayed_that_long():
    # Couples usually stay 45 (median of 40, 45, 45, 45, 45, 45, 50, 90, 100, 110), but this
    # one has sat 60 already. Of past couples who stayed beyond 60 (90, 100, 110) the median
    # stayed 100: this table frees at +40.
    times = DiningTimes(
        history(2, [40, 45, 45, 45, 45, 45, 50, 90, 100, 110]), default_minutes=50, tz=UTC
    )
    assert times.typical(2, ago(60)) == 45
    [state] = table_states([("T1", 2, 2, ago(60))], [], times, NOW)
    assert state.free_at == at(40)


def test_walk_in_with_no_known_seated_time_frees_one_sitting_from_now():
    [state] = table_states([("T1", 4, None, None)], [], NO_HISTORY, NOW)
    assert state.free_at == at(50)


def test_walk_in_with_a_seated_time_frees_like_any_other_party():
    # Seated 20 minutes ago, party size unknown: sized as its table.
    [state] = table_states([("T1", 4, None, ago(20))], [], NO_HISTORY, NOW)
    assert state.free_at == at(30)


# --- table sizes -----------------------------------------------------------------------


def test_party_of_six_is_quoted_by_the_six_tops_not_the_whole_room():
    # The 2-tops free any minute, but only the 6-top (free at +35) fits six.
    tables = [busy("2a", 1, seats=2), busy("2b", 2, seats=2), busy("6a", 35, seats=6)]
    assert waits(tables, [party("big", size=6)]) == {"big": 35}


def test_small_party_takes_the_smallest_table_that_fits_when_several_are_free():
    tables = [free("6a", seats=6), free("4a", seats=4), free("2a", seats=2)]
    plan = plan_seating(tables, [party("couple", size=2)], NO_HISTORY, NOW)
    assert plan["couple"].table_key == "2a"


def test_small_party_behind_a_big_one_may_sit_sooner_at_a_small_table():
    # Six at the head waits for the 6-top (+30); the couple behind takes the free 2-top.
    tables = [busy("6a", 30, seats=6), free("2a", seats=2)]
    assert waits(tables, [party("six", size=6), party("two", size=2)]) == {"six": 30, "two": 0}


def test_party_larger_than_every_table_gets_no_projection():
    assert waits([free("4a", seats=4)], [party("ten", size=10)]) == {"ten": None}


# --- learned dining times --------------------------------------------------------------


def test_with_too_little_history_the_configured_average_is_used():
    times = DiningTimes(history(2, 30, count=7), default_minutes=50, tz=UTC)
    assert times.typical(2, NOW) == 50
    assert times.source(2, NOW) == "default"


def test_dining_time_is_the_median_so_one_marathon_table_does_not_move_quotes():
    times = DiningTimes(history(2, [40] * 9 + [400]), default_minutes=50, tz=UTC)
    assert times.typical(2, NOW) == 40


def test_big_parties_are_timed_by_big_parties_and_couples_by_couples():
    times = DiningTimes(history(2, 40) + history(6, 90), default_minutes=50, tz=UTC)
    assert times.typical(2, NOW) == 40
    assert times.typical(5, NOW) == 90  # 5 and 6 are one band
    assert times.typical(4, NOW) == 50  # no history for 3-4: the configured average


def test_lunch_and_dinner_are_learned_apart_when_both_have_enough_history():
    times = DiningTimes(history(2, 35, hour=12) + history(2, 70, hour=20), 50, tz=UTC)
    assert times.typical(2, NOW.replace(hour=12, minute=30)) == 35
    assert times.typical(2, NOW.replace(hour=20)) == 70
    assert times.source(2, NOW.replace(hour=20)) == "time of day"
    # Mid-afternoon is near neither: the couples' median over the whole day.
    assert times.typical(2, NOW.replace(hour=16)) == pytest.approx((35 + 70) / 2)
    assert times.source(2, NOW.replace(hour=16)) == "party size"


def test_learned_times_shape_the_quote():
    # Couples really stay 30 here: a table seated 10 minutes ago frees at +20, not +40.
    times = DiningTimes(history(2, 30), default_minutes=50, tz=UTC)
    [state] = table_states([("T1", 2, 2, ago(10))], [], times, NOW)
    assert waits([state], [party("a"), party("b")], times) == {"a": 20, "b": 50}


# --- when to tell a party to head over -------------------------------------------------


def test_party_is_told_to_head_over_once_its_table_frees_within_its_trip():
    rule = NotifyRule(buffer_minutes=2)
    [plan_] = plan_seating([busy("T1", 12)], [party("a", away=10)], NO_HISTORY, NOW).values()
    assert rule.is_due(plan_, travel_minutes=10, now=NOW)  # 12 <= 10 + 2
    assert not rule.is_due(plan_, travel_minutes=9, now=NOW)  # 12 > 9 + 2
    assert not rule.is_due(None, travel_minutes=10, now=NOW)


# --- the formula ReadyTable replaces ----------------------------------------------------


def test_seed_formula_is_kept_only_for_comparison_and_never_negative():
    assert seed_formula_wait(parties_in_queue=0, occupied=2, total=4, avg_minutes=50) == 0
    assert seed_formula_wait(parties_in_queue=4, occupied=4, total=4, avg_minutes=50) == 50


def test_quoting_one_more_party_is_the_same_as_planning_the_whole_line_again():
    from orders.estimates import SeatingPlanner

    tables = [busy("2a", 5, seats=2), busy("4a", 20, seats=4), free("6a", seats=6)]
    line = [party("a", 4), party("b", 2, away=15), party("c", 6), party("d", 3)]
    planner = SeatingPlanner(tables, NO_HISTORY, NOW)
    for p in line:
        planner.seat(p)
    newcomer = party("new", 2, away=10)
    assert planner.copy().seat(newcomer) == plan_seating(tables, line + [newcomer], NO_HISTORY, NOW)["new"]


# --- how sure a table is to be free --------------------------------------------------------


SPREAD = [30, 35, 40, 45, 50, 55, 60, 65, 70, 90]  # ten past couples


def test_a_party_that_has_sat_a_while_is_timed_by_parties_who_stayed_at_least_as_long():
    times = DiningTimes(history(2, SPREAD), default_minutes=50, tz=UTC)
    # Seated 48 minutes ago: of the past couples who stayed beyond 48 (50, 55, 60, 65, 70,
    # 90) the median stayed 62.5, so this one is expected to leave in 14.5, not in 4.5 (the
    # plain median of all ten, 52.5).
    assert times.expected_end(2, ago(48), NOW) == at(14.5)
