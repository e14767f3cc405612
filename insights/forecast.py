"""Demand forecast: how many parties are expected to join the queue in each hour of the next
7 days, from the restaurant's own history, and how good that forecast has been.

The method, a seasonal profile with a damped trend, in plain Python:
- Season: each weekday-and-hour slot ("Friday 19:00") is forecast from the same slot in up to
  HISTORY_WEEKS earlier weeks, weighted towards the recent ones (a week's weight halves every
  HALF_LIFE_WEEKS weeks), so a restaurant that changed its hours or got busier is followed
  within a few weeks without one odd week throwing it.
- Trend: a least-squares line through those weeks' totals says whether the restaurant is
  getting busier. The weighted average sits at the weights' centre, a week or two back, so
  the forecast moves it forward to the coming week along that line, damped (DAMPING) and
  kept within GROWTH_LIMITS, since a short history's slope is a shaky thing to extrapolate.
Weeks before the restaurant's first party are not history (they would read as a steep rise).

The backtest forecasts each of the last BACKTEST_WEEKS weeks from only what came before it
and compares the hours with what happened, beside the naive forecast "the same as last week".
"""

from dataclasses import dataclass, field
from datetime import timedelta

HISTORY_WEEKS = 8
HALF_LIFE_WEEKS = 2.0
DAMPING = 0.8
GROWTH_LIMITS = (0.67, 1.5)
BACKTEST_WEEKS = 4
HOURS = range(24)


def _weeks_available(first_day, history_start):
    """Earlier weeks (1 = the 7 days just before first_day) wholly inside the history."""
    return [k for k in range(1, HISTORY_WEEKS + 1) if first_day - timedelta(days=7 * k) >= history_start]


def _week_total(counts, start, day_totals=None):
    """Parties in the 7 days from `start`. `day_totals` ({date: parties}, from _day_totals):
    the same sum, read a day at a time."""
    if day_totals is not None:
        return sum(day_totals.get(start + timedelta(days=d), 0) for d in range(7))
    return sum(counts.get((start + timedelta(days=d), h), 0) for d in range(7) for h in HOURS)


def _day_totals(counts):
    totals = {}
    for (day, hour), n in counts.items():
        if hour in HOURS:
            totals[day] = totals.get(day, 0) + n
    return totals


def growth_factor(totals):
    """{weeks ago: (weight, total)} -> how much busier the coming week should be than the
    weighted average of those weeks (1.0: no trend, or too few weeks to tell)."""
    if len(totals) < 3:
        return 1.0
    ks = sorted(totals)
    ts = [-k for k in ks]
    ys = [totals[k][1] for k in ks]
    t_mean = sum(ts) / len(ts)
    y_mean = sum(ys) / len(ys)
    spread = sum((t - t_mean) ** 2 for t in ts)
    slope = sum((t - t_mean) * (y - y_mean) for t, y in zip(ts, ys)) / spread
    weight = sum(totals[k][0] for k in ks)
    centre = sum(totals[k][0] * -k for k in ks) / weight
    at_centre = y_mean + slope * (centre - t_mean)
    if at_centre <= 0:
        return 1.0
    ahead = at_centre + DAMPING * slope * (0 - centre)
    low, high = GROWTH_LIMITS
    return min(high, max(low, ahead / at_centre))


def seasonal_forecast(counts, first_day, history_start, days=7):
    """{(date, hour): expected parties} for `days` days from first_day, from `counts`
    ({(date, hour): parties}) before first_day; None without a whole week of history."""
    weeks = _weeks_available(first_day, history_start)
    if not weeks:
        return None
    weights = {k: 0.5 ** ((k - 1) / HALF_LIFE_WEEKS) for k in weeks}
    total_weight = sum(weights.values())
    day_totals = _day_totals(counts)
    factor = growth_factor(
        {k: (weights[k], _week_total(counts, first_day - timedelta(days=7 * k), day_totals)) for k in weeks}
    )
    forecast = {}
    for d in range(days):
        day = first_day + timedelta(days=d)
        # The same weekday in each earlier week, with its weight, in the order of `weights`.
        earlier = [(day - timedelta(days=7 * k), w) for k, w in weights.items()]
        for h in HOURS:
            level = sum(w * counts.get((past, h), 0) for past, w in earlier) / total_weight
            forecast[(day, h)] = level * factor
    return forecast


def naive_forecast(counts, first_day, history_start, days=7):
    """"The same as last week", or None without last week in the history."""
    if first_day - timedelta(days=7) < history_start:
        return None
    return {
        (first_day + timedelta(days=d), h): counts.get((first_day + timedelta(days=d - 7), h), 0)
        for d in range(days)
        for h in HOURS
    }


@dataclass
class Accuracy:
    weeks: int = 0
    hours: int = 0  # hours compared: any with parties, forecast or not
    parties: int = 0
    method_abs_error: float = 0.0
    naive_abs_error: float = 0.0

    @property
    def method_mae(self):
        return self.method_abs_error / self.hours if self.hours else None

    @property
    def naive_mae(self):
        return self.naive_abs_error / self.hours if self.hours else None

    @property
    def method_wape(self):
        """Hour by hour, the forecast's misses as a share of the parties who came (%)."""
        return 100.0 * self.method_abs_error / self.parties if self.parties else None

    @property
    def naive_wape(self):
        return 100.0 * self.naive_abs_error / self.parties if self.parties else None

    @property
    def beats_naive(self):
        return self.hours > 0 and self.method_abs_error < self.naive_abs_error


def backtest(counts, first_day, history_start, weeks=BACKTEST_WEEKS):
    """Forecast each of the `weeks` weeks before first_day from what came before it, with the
    method and with "the same as last week", and add up how far each was from what
    happened. Weeks either forecast cannot be made for are skipped."""
    accuracy = Accuracy()
    for j in range(1, weeks + 1):
        start = first_day - timedelta(days=7 * j)
        method = seasonal_forecast(counts, start, history_start)
        naive = naive_forecast(counts, start, history_start)
        if method is None or naive is None:
            continue
        accuracy.weeks += 1
        for slot, expected in method.items():
            actual = counts.get(slot, 0)
            if not (actual or expected > 0.05 or naive[slot]):
                continue  # closed: every forecast right, and no party to count
            accuracy.hours += 1
            accuracy.parties += actual
            accuracy.method_abs_error += abs(expected - actual)
            accuracy.naive_abs_error += abs(naive[slot] - actual)
    return accuracy


@dataclass
class DayForecast:
    day: object
    hours: dict  # hour -> expected parties
    total: float = 0.0
    busiest_hour: int | None = None

    def __post_init__(self):
        self.total = sum(self.hours.values())
        busiest = max(self.hours.items(), key=lambda item: (item[1], -item[0]), default=(None, 0))
        self.busiest_hour = busiest[0] if busiest[1] > 0 else None


@dataclass
class DemandForecast:
    first_day: object
    history_start: object | None
    weeks_of_history: int
    days: list = field(default_factory=list)  # DayForecast, when there is enough history
    accuracy: Accuracy = field(default_factory=Accuracy)

    @property
    def available(self):
        return bool(self.days)

    @property
    def busiest_day(self):
        return max(self.days, key=lambda d: d.total, default=None)


def demand_forecast(counts, first_day, history_start):
    """The next 7 days, day by day, and the backtested accuracy, from hourly `counts`."""
    weeks = len(_weeks_available(first_day, history_start)) if history_start else 0
    result = DemandForecast(first_day=first_day, history_start=history_start, weeks_of_history=weeks)
    if not history_start:
        return result
    forecast = seasonal_forecast(counts, first_day, history_start)
    if forecast is None:
        return result
    for d in range(7):
        day = first_day + timedelta(days=d)
        result.days.append(DayForecast(day=day, hours={h: forecast[(day, h)] for h in HOURS}))
    result.accuracy = backtest(counts, first_day, history_start)
    return result


def history_window(first_day):
    """The days a forecast and its backtest read: [first day, last day)."""
    return first_day - timedelta(days=7 * (HISTORY_WEEKS + BACKTEST_WEEKS)), first_day
