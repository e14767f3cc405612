"""Wait estimates as pure functions: no ORM, no clock. Callers pass in what the room looks
like now and get back when each party's table is projected to free.

The model: every occupied table frees at its seated time plus the expected dining duration
(never earlier than now); a table with no known seated time (a walk-in) frees one average
duration from now. Parties take freed tables in order: first those already told to head over,
then the queue by position. A party seated at time t frees its table again at t + duration.
"""

import heapq
import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Room:
    total_tables: int
    occupied_tables: int
    seated_times: tuple  # seated_at of app parties sitting now (datetimes)
    dining_minutes: float

    @property
    def walk_in_tables(self):
        # Occupied tables the app did not seat: the host added them by hand.
        return max(0, self.occupied_tables - len(self.seated_times))


def table_free_times(room: Room, now: datetime) -> list:
    """When each table in the room is projected to be free, earliest first."""
    duration = timedelta(minutes=room.dining_minutes)
    times = []
    occupied = min(room.occupied_tables, room.total_tables)
    seated = sorted(room.seated_times)[:occupied]
    for seated_at in seated:
        times.append(max(now, seated_at + duration))
    times.extend([now + duration] * max(0, occupied - len(seated)))
    times.extend([now] * max(0, room.total_tables - occupied))
    times.sort()
    return times


def projected_table_times(room: Room, now: datetime, parties_ahead: int) -> list:
    """The moment a table frees for each of the next `parties_ahead + 1` parties in line.

    Element i is when the (i+1)-th party in line gets its table; the last one is what a new
    joiner behind `parties_ahead` parties would get.
    """
    if room.total_tables <= 0:
        return []
    duration = timedelta(minutes=room.dining_minutes)
    heap = table_free_times(room, now)
    heapq.heapify(heap)
    slots = []
    for _ in range(parties_ahead + 1):
        free_at = heapq.heappop(heap)
        slots.append(free_at)
        heapq.heappush(heap, free_at + duration)
    return slots


def minutes_until(moment: datetime, now: datetime) -> int:
    """Whole minutes a diner is told to wait, rounded up, never negative."""
    seconds = (moment - now).total_seconds()
    if seconds <= 0:
        return 0
    return math.ceil(seconds / 60)


@dataclass(frozen=True)
class QueueQuotes:
    heading_over: list  # minutes until a table, for each party told to head over (in order)
    waiting: list  # minutes until a table, for each waiting party by position
    next_joiner: int  # what a party joining now would be quoted


def quote_queue(room: Room, now: datetime, heading_over: int, waiting: int) -> QueueQuotes:
    slots = projected_table_times(room, now, heading_over + waiting)
    minutes = [minutes_until(slot, now) for slot in slots]
    return QueueQuotes(
        heading_over=minutes[:heading_over],
        waiting=minutes[heading_over : heading_over + waiting],
        next_joiner=minutes[heading_over + waiting],
    )


def seed_formula_wait(parties_in_queue, occupied, total, avg_minutes):
    """The original description's formula, kept only to compare against (never quoted)."""
    if total <= 0:
        return 0
    return max(0.0, (parties_in_queue + occupied - total) / total * avg_minutes)
