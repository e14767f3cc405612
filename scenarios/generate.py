"""Writes the shipped simulator scenarios, so what they assume is written down and they can be
made again exactly: `python scenarios/generate.py` (a fixed random seed per scenario). Draw 0
is what ships; other draws are fresh evenings of the same kind (bench/notify_timing.py uses
them to check that a setting is not tuned to the shipped three).

What every scenario assumes, from how a neighbourhood bistro runs:
- Parties of 2 stay about 45 minutes, of 3-4 about 60, of 5-6 about 80, larger ones about 95,
  with a spread of about 15% either way; later in the evening everyone lingers a little longer.
  Last month's sittings (the history) follow the same pattern, so there is something to learn.
- Diners join from 5 to 30 minutes away (most 10-20), and say so when they join.
- Each diner orders a main (10-16 minutes in the kitchen), some a starter or a dessert.
- Told to head over, most parties answer "on my way" within a few minutes (80%: 0-6, most
  after 1), some only later (10%: 6-15), and some never answer but come all the same (10%);
  a no-show never answers. Drawn from a random stream of their own, so adding them changed
  nothing else a scenario holds.
- Each room has tables of each size in about the share of table-time its parties need (a big
  party stays longer), as a restaurant that knows its trade would set it up; otherwise the
  largest parties queue for hours and the evening runs past 3 am.
"""

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent

MENU = [
    {"name": "Soup of the day", "prep_minutes": 5, "price": "7.50"},
    {"name": "Burrata", "prep_minutes": 6, "price": "12.00"},
    {"name": "Smash burger", "prep_minutes": 12, "price": "14.50"},
    {"name": "Margherita pizza", "prep_minutes": 10, "price": "13.00"},
    {"name": "Rigatoni alla vodka", "prep_minutes": 13, "price": "15.50"},
    {"name": "Roast chicken", "prep_minutes": 16, "price": "19.50"},
    {"name": "Tiramisu", "prep_minutes": 3, "price": "8.00"},
]
MAINS = ["Smash burger", "Margherita pizza", "Rigatoni alla vodka", "Roast chicken"]
STARTERS = ["Soup of the day", "Burrata"]


def balanced_room(sizes, table_sizes, total):
    """[(seats, count)]: `total` tables split over `table_sizes` in the share of table-time
    the party mix `sizes` needs (each party at the smallest size that seats it), by largest
    remainder, at least one of each size."""
    need = {seats: 0.0 for seats in table_sizes}
    for size in sizes:
        seats = min(t for t in table_sizes if t >= size)
        need[seats] += typical_sitting(size, 19 * 60)
    whole = sum(need.values())
    exact = {seats: total * n / whole for seats, n in need.items()}
    counts = {seats: max(1, int(x)) for seats, x in exact.items()}
    for seats in sorted(exact, key=lambda k: exact[k] - int(exact[k]), reverse=True):
        if sum(counts.values()) >= total:
            break
        counts[seats] += 1
    return sorted(counts.items())


def typical_sitting(party_size, minute_of_day):
    base = 45 if party_size <= 2 else 60 if party_size <= 4 else 80 if party_size <= 6 else 95
    # After 20:00 people linger: up to 15% longer by 22:00.
    late = max(0, min(120, minute_of_day - 20 * 60)) / 120
    return base * (1 + 0.15 * late)


def sitting(rng, party_size, minute_of_day):
    mean = typical_sitting(party_size, minute_of_day)
    return max(20, round(rng.gauss(mean, 0.15 * mean)))


def order_for(rng, party_size):
    items = {}
    for _ in range(party_size):
        main = rng.choice(MAINS)
        items[main] = items.get(main, 0) + 1
    if rng.random() < 0.5:
        items[rng.choice(STARTERS)] = 1
    if rng.random() < 0.3:
        items["Tiramisu"] = rng.randint(1, max(1, party_size // 2))
    return items


def travel(rng):
    return max(5, min(30, round(rng.triangular(5, 30, 14))))


def history(rng, sizes, opening, closing, count):
    rows = []
    for _ in range(count):
        size = rng.choice(sizes)
        start = rng.randint(opening, closing)
        rows.append({"party_size": size, "dine_minutes": sitting(rng, size, start), "start": start})
    return rows


def parties(rng, sizes, arrivals, start, no_show_rate):
    rows = []
    for i, join in enumerate(arrivals):
        size = rng.choice(sizes)
        rows.append(
            {
                "id": f"p{i + 1}",
                "join": join,
                "party_size": size,
                "travel_minutes": travel(rng),
                "dine_minutes": sitting(rng, size, start + join),
                "items": order_for(rng, size),
                "no_show": rng.random() < no_show_rate,
            }
        )
    return rows


def with_confirmations(scenario, seed):
    """Each party's `confirm_after_minutes` (null: never answers), from its own stream."""
    rng = random.Random(seed * 7 + 1)
    for party in scenario["parties"]:
        roll = rng.random()
        if party["no_show"] or roll >= 0.9:
            party["confirm_after_minutes"] = None
        elif roll < 0.8:
            party["confirm_after_minutes"] = round(rng.triangular(0, 6, 1))
        else:
            party["confirm_after_minutes"] = rng.randint(6, 15)
    return scenario


def arrivals_every(rng, start, end, mean_gap):
    minute, out = start, []
    while True:
        minute += max(0, round(rng.expovariate(1 / mean_gap)))
        if minute > end:
            return out
        out.append(minute)


def occupied(rng, tables, share, sizes_for):
    rows = []
    for seats, count in tables:
        for _ in range(round(count * share)):
            size = rng.choice(sizes_for(seats))
            dine = sitting(rng, size, 18 * 60)
            rows.append(
                {"seats": seats, "party_size": size,
                 "seated_minutes_ago": rng.randint(0, int(dine * 0.8)), "dine_minutes": dine}
            )
    return rows


def seats_for(seats):
    return [s for s in range(max(1, seats - 1), seats + 1)]


def quiet_weeknight(draw=0):
    seed = 20261124 + 1000 * draw
    rng = random.Random(seed)
    sizes = [2, 2, 2, 2, 3, 4, 4, 5]
    tables = balanced_room(sizes, (2, 4, 6), 12)
    return with_confirmations({
        "start": 18 * 60,
        "restaurant": {
            "tables": [{"seats": s, "count": c} for s, c in tables],
            "avg_dine_in_duration_minutes": 55,
            "default_travel_minutes": 12,
            "grace_minutes": 10,
        },
        "menu": MENU,
        "history": history(rng, sizes, 17 * 60, 22 * 60, 160),
        "occupied_at_start": occupied(rng, tables, 0.5, seats_for),
        "parties": parties(rng, sizes, arrivals_every(rng, 0, 210, 8), 18 * 60, 0.04),
    }, seed)


def friday_rush(draw=0):
    seed = 20261127 + 1000 * draw
    rng = random.Random(seed)
    sizes = [2, 2, 2, 2, 2, 3, 4, 4, 4, 4, 5, 6]
    tables = balanced_room(sizes, (2, 4, 6), 16)
    # Steady from 18:00, a crowd from 19:00 to 20:30 (a long queue builds), then tailing
    # off until 21:30.
    joins = (
        arrivals_every(rng, 0, 60, 4)
        + arrivals_every(rng, 60, 150, 2.2)
        + arrivals_every(rng, 150, 210, 4.5)
    )
    return with_confirmations({
        "start": 18 * 60,
        "restaurant": {
            "tables": [{"seats": s, "count": c} for s, c in tables],
            "avg_dine_in_duration_minutes": 50,
            "default_travel_minutes": 10,
            "grace_minutes": 10,
        },
        "menu": MENU,
        "history": history(rng, sizes, 17 * 60, 23 * 60, 400),
        "occupied_at_start": occupied(rng, tables, 0.75, seats_for),
        "parties": parties(rng, sizes, joins, 18 * 60, 0.04),
    }, seed)


def big_parties_and_no_shows(draw=0):
    seed = 20261130 + 1000 * draw
    rng = random.Random(seed)
    sizes = [2, 2, 3, 4, 4, 5, 6, 6, 7, 8]
    tables = balanced_room(sizes, (2, 4, 6, 8), 18)
    return with_confirmations({
        "start": 18 * 60 + 30,
        "restaurant": {
            "tables": [{"seats": s, "count": c} for s, c in tables],
            "avg_dine_in_duration_minutes": 60,
            "default_travel_minutes": 15,
            "grace_minutes": 10,
        },
        "menu": MENU,
        "history": history(rng, sizes, 17 * 60, 23 * 60, 300),
        "occupied_at_start": occupied(rng, tables, 0.6, seats_for),
        "parties": parties(rng, sizes, arrivals_every(rng, 0, 180, 4.5), 18 * 60 + 30, 0.12),
    }, seed)


SCENARIOS = {
    "quiet-weeknight": quiet_weeknight,
    "friday-rush": friday_rush,
    "large-parties-no-shows": big_parties_and_no_shows,
}


def main():
    for name, make in SCENARIOS.items():
        path = HERE / f"{name}.json"
        path.write_text(json.dumps(make(), indent=1) + "\n")
        print(f"wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
