"""Wait estimates as pure functions: no ORM, no clock. Callers pass in what the room looks
like now and get back when each party in line is projected to sit down.

The model:
- Every occupied table frees when its party is expected to leave: its seated time plus the
  dining time learned for that party (size and time of day), never earlier than now. A party
  that has already outstayed the usual time is expected to stay the median of what parties
  who stayed that long went on to stay; with too little history, it may leave any minute.
  A table whose seated time is unknown frees one expected sitting from now.
- Parties take tables in line order: first those already told to head over, then the queue by
  position. Each takes the table that fits it and is free soonest (the smallest such table on
  a tie), and sits down when both the table is free and the party is there.
- A party seated at time t frees its table again one expected sitting later.

`DiningTimes` holds the learned sittings; `plan_seating` walks the line; `seed_formula_wait`
is the original description's formula, kept only to compare against.
"""

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

# ---------------------------------------------------------------------------------------
# How long parties stay


# Parties are compared with parties of a similar size: a couple lingers less than a table of 6.
SIZE_BANDS = ((1, 2), (3, 4), (5, 6), (7, 10_000))
# Enough sittings in a group before its median is trusted over a wider group or the default.
MIN_SAMPLES = 8
# Sittings that started within this many minutes of the same time of day count as alike.
TIME_OF_DAY_WINDOW = 90
# An overstaying party is expected to stay on by the median of what parties who stayed that
# long did, given at least this many such parties.
MIN_OVERSTAY_SAMPLES = 3


def size_band(party_size):
    for low, high in SIZE_BANDS:
        if low <= party_size <= high:
            return low
    return SIZE_BANDS[0][0]


def _minute_of_day(moment, tz):
    local = moment.astimezone(tz) if tz is not None else moment
    return local.hour * 60 + local.minute


def _circular_distance(a, b):
    d = abs(a - b) % 1440
    return min(d, 1440 - d)


@dataclass(frozen=True)
class Sitting:
    """One party's past visit: its size, when it sat down, and how many minutes it stayed."""

    party_size: int
    seated_at: datetime
    minutes: float


class DiningTimes:
    """What the restaurant's own history says about how long parties stay.

    The typical sitting for a party is the median of past sittings of the same size band that
    started within TIME_OF_DAY_WINDOW minutes of the same time of day; with fewer than
    MIN_SAMPLES of those, the median of the size band at any time; with fewer than that, the
    restaurant's configured average. The median, because one table that stayed three hours
    should not move every quote.
    """

    def __init__(self, sittings, default_minutes, tz=None, min_samples=MIN_SAMPLES):
        self.default_minutes = float(default_minutes)
        self.tz = tz
        self.min_samples = min_samples
        self._by_band = {}
        for sitting in sittings:
            if sitting.minutes <= 0:
                continue
            self._by_band.setdefault(size_band(sitting.party_size), []).append(
                (_minute_of_day(sitting.seated_at, tz), float(sitting.minutes))
            )
        self._cache = {}

    @property
    def sample_count(self):
        return sum(len(rows) for rows in self._by_band.values())

    def _group(self, party_size, start):
        """(minutes of the comparable sittings, where they came from)."""
        band = size_band(party_size)
        key = (band, _minute_of_day(start, self.tz) // 5)
        if key not in self._cache:
            rows = self._by_band.get(band, [])
            minute = key[1] * 5 + 2
            near = [m for at, m in rows if _circular_distance(at, minute) <= TIME_OF_DAY_WINDOW]
            if len(near) >= self.min_samples:
                self._cache[key] = (sorted(near), "time of day")
            elif len(rows) >= self.min_samples:
                self._cache[key] = (sorted(m for _, m in rows), "party size")
            else:
                self._cache[key] = ((), "default")
        return self._cache[key]

    def typical(self, party_size, start):
        """Expected minutes at the table for a party of this size sitting down at `start`."""
        group, _ = self._group(party_size, start)
        return statistics.median(group) if group else self.default_minutes

    def source(self, party_size, start):
        """Where `typical` got its figure: "time of day", "party size" or "default"."""
        return self._group(party_size, start)[1]

    def _stays(self, party_size, seated_at, now):
        """Minutes comparable parties stayed, given this one has already sat as long as it
        has: only those who stayed longer, when there are enough of them; all of them while
        it has not outstayed the usual; none once it has outstayed nearly everyone."""
        group, _ = self._group(party_size, seated_at)
        elapsed = (now - seated_at).total_seconds() / 60
        longer = [m for m in group if m > elapsed]
        if len(longer) >= MIN_OVERSTAY_SAMPLES:
            return longer
        if elapsed < self.typical(party_size, seated_at):
            return list(group)
        return []

    def expected_end(self, party_size, seated_at, now):
        """When a party seated at `seated_at` (None: unknown) is expected to leave: the median
        of what comparable parties who had stayed this long went on to stay (with too little
        history, the usual sitting); never earlier than now. A party that has outstayed nearly
        everyone may leave any minute."""
        if seated_at is None:
            return now + timedelta(minutes=self.typical(party_size, now))
        stays = self._stays(party_size, seated_at, now)
        if stays:
            return max(now, seated_at + timedelta(minutes=statistics.median(stays)))
        if not self._group(party_size, seated_at)[0]:
            return max(now, seated_at + timedelta(minutes=self.default_minutes))
        return now


# ---------------------------------------------------------------------------------------
# Who sits where, and when


@dataclass(frozen=True)
class TableState:
    key: object
    seats: int
    free_at: datetime  # when it is projected to be free (now, if it is free)


@dataclass(frozen=True)
class PartyInLine:
    key: object
    size: int
    # The earliest the party can sit down: when it is due to arrive (now + its travel time for
    # a party still waiting remotely).
    ready_from: datetime


@dataclass(frozen=True)
class Seating:
    table_key: object
    seats: int
    table_free_at: datetime  # when that table is projected to be free for this party
    seat_at: datetime  # when the party is projected to sit down


class SeatingPlanner:
    """Walks the line one party at a time, remembering when each table is next free, so the
    plan for everyone in line and the quote for one more party share the same walk."""

    def __init__(self, tables, dining_times, now):
        self.now = now
        self.dining_times = dining_times
        self.free_at = {t.key: max(now, t.free_at) for t in tables}
        self.seats = {t.key: t.seats for t in tables}
        self.order = {t.key: i for i, t in enumerate(tables)}
        # The tables in the order a tie is broken: the smallest first, then as listed.
        self.by_rank = sorted(self.free_at, key=lambda k: (self.seats[k], self.order[k]))
        self._fitting = {}  # party size -> the tables that seat it, by rank

    def copy(self):
        twin = SeatingPlanner((), self.dining_times, self.now)
        twin.free_at, twin.seats, twin.order = dict(self.free_at), self.seats, self.order
        twin.by_rank, twin._fitting = self.by_rank, self._fitting
        return twin

    def _tables_seating(self, size):
        found = self._fitting.get(size)
        if found is None:
            found = self._fitting[size] = [k for k in self.by_rank if self.seats[k] >= size]
        return found

    def seat(self, party):
        """The Seating of the next party in line (None: no table fits it)."""
        fitting = self._tables_seating(party.size)
        if not fitting:
            return None
        # Soonest seated; on a tie the smallest table that fits, so big tables stay for big
        # parties. `fitting` is in that tie order, so only a strictly sooner table replaces
        # the best so far. (A plain loop: this runs for every party in line on every change.)
        ready, free_at = party.ready_from, self.free_at
        best, sits_at = None, None
        for key in fitting:
            at = free_at[key]
            if at < ready:
                at = ready
            if sits_at is None or at < sits_at:
                best, sits_at = key, at
        seat_at = max(sits_at, self.now)
        seating = Seating(best, self.seats[best], self.free_at[best], seat_at)
        self.free_at[best] = seat_at + timedelta(
            minutes=self.dining_times.typical(party.size, seat_at)
        )
        return seating


def plan_seating(tables, parties, dining_times, now):
    """Walk the line in order and give each party a projected table and seating time.

    Returns {party key: Seating}, with None for a party larger than every table.
    """
    planner = SeatingPlanner(tables, dining_times, now)
    return {party.key: planner.seat(party) for party in parties}


def minutes_until(moment, now):
    """Whole minutes a diner is told to wait, rounded up, never negative."""
    seconds = (moment - now).total_seconds()
    if seconds <= 0:
        return 0
    return math.ceil(seconds / 60 - 1e-9)


def table_states(occupied, free, dining_times, now):
    """TableStates for a room: `occupied` is [(key, seats, party_size or None, seated_at or
    None)], `free` is [(key, seats)]."""
    states = [TableState(key, seats, now) for key, seats in free]
    for key, seats, party_size, seated_at in occupied:
        end = dining_times.expected_end(party_size or seats, seated_at, now)
        states.append(TableState(key, seats, end))
    return states


@dataclass(frozen=True)
class NotifyRule:
    """When to tell a waiting party to head over: once the table it is projected to get is
    free within its travel time plus a small buffer (tables clear a little earlier or later
    than projected), and its food will be on the pass by the time it gets here (prep times
    are known, so no buffer there). It walks in as the table clears and the food is plated.
    """

    buffer_minutes: float

    def is_due(self, seating, travel_minutes, now, food_ready=None):
        if seating is None:
            return False
        trip = timedelta(minutes=travel_minutes)
        if food_ready is not None and food_ready - now > trip:
            return False
        return seating.table_free_at - now <= trip + timedelta(minutes=self.buffer_minutes)


def seed_formula_wait(parties_in_queue, occupied, total, avg_minutes):
    """The original description's formula, kept only to compare against (never quoted)."""
    if total <= 0:
        return 0
    return max(0.0, (parties_in_queue + occupied - total) / total * avg_minutes)
