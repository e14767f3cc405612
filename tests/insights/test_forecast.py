"""The demand forecast on made-up histories whose weekly pattern we know: it must give the
pattern back, follow a restaurant that gets busier, and be backtested honestly against "the
same as last week"."""

from datetime import date, timedelta

import pytest

from insights import forecast

MONDAY = date(2025, 6, 2)  # the day the forecast starts
# The pattern: parties joining per hour, by weekday (0 = Monday) and hour.
PATTERN = {(1, 19): 3, (4, 12): 4, (4, 19): 10, (4, 20): 6, (5, 19): 12, (5, 20): 9, (6, 13): 5}


def history(weeks, parties=lambda week, weekday, hour, n: n):
    """{(date, hour): parties} for the `weeks` weeks before MONDAY; week 1 is the latest."""
    counts = {}
    for week in range(1, weeks + 1):
        start = MONDAY - timedelta(days=7 * week)
        for (weekday, hour), n in PATTERN.items():
            counts[(start + timedelta(days=weekday), hour)] = parties(week, weekday, hour, n)
    return counts


def start_of(weeks):
    return MONDAY - timedelta(days=7 * weeks)


def test_a_steady_week_is_forecast_exactly_and_so_is_last_week():
    counts = history(12)
    expected = forecast.seasonal_forecast(counts, MONDAY, start_of(12))
    friday = MONDAY + timedelta(days=4)
    assert expected[(friday, 19)] == pytest.approx(10)
    assert expected[(friday, 20)] == pytest.approx(6)
    assert expected[(friday, 3)] == 0
    assert sum(expected.values()) == pytest.approx(sum(PATTERN.values()))
    accuracy = forecast.backtest(counts, MONDAY, start_of(12))
    assert (accuracy.weeks, accuracy.hours, accuracy.parties) == (4, 4 * len(PATTERN), 4 * sum(PATTERN.values()))
    assert accuracy.method_mae == pytest.approx(0)
    assert accuracy.naive_mae == 0


def test_the_smoothed_season_beats_last_week_when_weeks_vary():
    # Fridays at 19:00 alternate 13 and 7 parties; everything else is steady.
    def alternating(week, weekday, hour, n):
        if (weekday, hour) == (4, 19):
            return n + (3 if week % 2 else -3)
        return n

    counts = history(12, alternating)
    accuracy = forecast.backtest(counts, MONDAY, start_of(12))
    assert accuracy.weeks == 4
    # Last week is always 6 off at that hour; the weighted average of earlier weeks is less.
    assert accuracy.naive_abs_error == pytest.approx(4 * 6)
    assert accuracy.method_abs_error < accuracy.naive_abs_error
    assert accuracy.beats_naive


def test_a_restaurant_getting_busier_is_followed_by_the_trend():
    # 4% more parties every week: week 1 (the latest) is the busiest.
    def growing(week, weekday, hour, n):
        return n * (1.04 ** (12 - week))

    counts = history(12, growing)
    expected = forecast.seasonal_forecast(counts, MONDAY, start_of(12))
    friday = MONDAY + timedelta(days=4)
    truth = 10 * 1.04 ** 12
    weights = {k: 0.5 ** ((k - 1) / forecast.HALF_LIFE_WEEKS) for k in range(1, 9)}
    recent_weeks_average = sum(w * 10 * 1.04 ** (12 - k) for k, w in weights.items()) / sum(
        weights.values()
    )
    # Ahead of the recent weeks' average, and no further than the truth.
    assert recent_weeks_average < expected[(friday, 19)] <= truth * 1.01
    accuracy = forecast.backtest(counts, MONDAY, start_of(12))
    assert accuracy.method_abs_error < accuracy.naive_abs_error


def test_weeks_before_the_first_party_are_not_read_as_a_quiet_start():
    counts = history(3)  # three weeks of service, nothing before
    expected = forecast.seasonal_forecast(counts, MONDAY, start_of(3))
    assert expected[(MONDAY + timedelta(days=4), 19)] == pytest.approx(10)


def test_less_than_a_week_of_history_gives_no_forecast():
    counts = history(1)
    assert forecast.seasonal_forecast(counts, MONDAY, MONDAY - timedelta(days=5)) is None
    result = forecast.demand_forecast(counts, MONDAY, MONDAY - timedelta(days=5))
    assert not result.available
    assert forecast.demand_forecast({}, MONDAY, None).days == []


def test_the_next_seven_days_day_by_day():
    result = forecast.demand_forecast(history(12), MONDAY, start_of(12))
    assert [d.day.weekday() for d in result.days] == [0, 1, 2, 3, 4, 5, 6]
    saturday = result.days[5]
    assert (saturday.total, saturday.busiest_hour) == (pytest.approx(21), 19)
    assert result.days[0].busiest_hour is None  # closed on Mondays
    assert result.busiest_day is saturday
    assert result.weeks_of_history == 8
    assert result.accuracy.weeks == 4
