"""The wait a diner is quoted, worked out by hand on small rooms.

Every room sits 50 minutes a table unless said otherwise, and it is 19:00 ("NOW"). In the
comments "+20" means a table frees 20 minutes from now.
"""

from datetime import UTC, datetime, timedelta

from orders.estimates import Room, minutes_until, quote_queue, table_free_times

NOW = datetime(2025, 6, 6, 19, 0, tzinfo=UTC)


def ago(minutes=0, seconds=0):
    return NOW - timedelta(minutes=minutes, seconds=seconds)


def later(minutes=0, seconds=0):
    return NOW + timedelta(minutes=minutes, seconds=seconds)


def room(total, occupied, seated_minutes_ago=(), dining=50):
    return Room(
        total_tables=total,
        occupied_tables=occupied,
        seated_times=tuple(ago(m) for m in seated_minutes_ago),
        dining_minutes=dining,
    )


def test_party_walking_into_a_room_with_free_tables_is_quoted_no_wait():
    # 4 tables, 1 party seated 10 min ago (frees +40); 3 tables free now.
    quotes = quote_queue(room(4, 1, [10]), NOW, heading_over=0, waiting=0)
    assert quotes.next_joiner == 0


def test_free_tables_go_to_the_first_parties_then_the_wait_starts():
    # Tables: now, now, now, +40. Three waiting parties take the free ones (0, 0, 0);
    # the fourth party in line gets the table seated 10 minutes ago: 50 - 10 = 40.
    quotes = quote_queue(room(4, 1, [10]), NOW, heading_over=0, waiting=3)
    assert quotes.waiting == [0, 0, 0]
    assert quotes.next_joiner == 40


def test_full_room_frees_tables_in_the_order_parties_sat_down():
    # 3 tables seated 45, 30 and 5 minutes ago free at +5, +20, +45.
    r = room(3, 3, [30, 45, 5])
    assert table_free_times(r, NOW) == [later(5), later(20), later(45)]
    quotes = quote_queue(r, NOW, heading_over=0, waiting=2)
    assert quotes.waiting == [5, 20]
    assert quotes.next_joiner == 45


def test_long_queue_wraps_around_to_second_sittings():
    # 2 tables seated 40 and 10 minutes ago: free at +10 and +40.
    # Party 1 takes +10 (that table frees again at 10 + 50 = +60),
    # party 2 takes +40 (frees again at +90), party 3 takes +60 (again at +110),
    # party 4 takes +90 (again at +140), party 5 takes +110 (again at +160),
    # and a sixth party joining now is quoted the next table: +140.
    quotes = quote_queue(room(2, 2, [40, 10]), NOW, heading_over=0, waiting=5)
    assert quotes.waiting == [10, 40, 60, 90, 110]
    assert quotes.next_joiner == 140


def test_overdue_table_counts_as_free_now_never_in_the_past():
    # Seated 90 min ago: due at -40, so free NOW (not -40). Seated 20 min ago: frees +30.
    r = room(2, 2, [90, 20])
    assert table_free_times(r, NOW) == [NOW, later(30)]
    # Party 1 takes the overdue table now (0) and frees it at +50; party 2 takes +30;
    # the next joiner gets the overdue table's second sitting: +50.
    # (Counting from -40 instead would wrongly promise +10 to the second sitting.)
    quotes = quote_queue(r, NOW, heading_over=0, waiting=2)
    assert quotes.waiting == [0, 30]
    assert quotes.next_joiner == 50


def test_nobody_is_ever_quoted_a_negative_wait():
    # Both tables are long overdue: every quote is 0, never "-70 minutes".
    quotes = quote_queue(room(2, 2, [120, 100]), NOW, heading_over=0, waiting=1)
    assert quotes.waiting == [0]
    assert quotes.next_joiner == 0


def test_walk_in_tables_free_one_sitting_from_now():
    # 3 tables all occupied: 1 app party seated 20 min ago (frees +30) and 2 walk-ins the host
    # added, whose seated time is unknown: each frees one full sitting from now, +50.
    r = room(3, 3, [20])
    assert r.walk_in_tables == 2
    assert table_free_times(r, NOW) == [later(30), later(50), later(50)]
    # Parties take +30, +50, +50; the first table is free again at 30 + 50 = +80.
    quotes = quote_queue(r, NOW, heading_over=0, waiting=3)
    assert quotes.waiting == [30, 50, 50]
    assert quotes.next_joiner == 80


def test_parties_heading_over_take_tables_before_the_waiting_queue():
    # 2 tables seated 30 and 20 min ago: free at +20 and +30.
    # The party already told to head over takes +20 (frees again +70); waiting party 1 takes
    # +30 (again +80); waiting party 2 takes +70; a new joiner gets +80.
    quotes = quote_queue(room(2, 2, [30, 20]), NOW, heading_over=1, waiting=2)
    assert quotes.heading_over == [20]
    assert quotes.waiting == [30, 70]
    assert quotes.next_joiner == 80


def test_a_wait_of_a_few_seconds_is_quoted_as_a_whole_minute():
    # Seated 49 min 30 s ago with a 50-minute sitting: free in 30 seconds -> quoted 1 minute.
    r = Room(total_tables=1, occupied_tables=1, seated_times=(ago(49, 30),), dining_minutes=50)
    quotes = quote_queue(r, NOW, heading_over=0, waiting=0)
    assert quotes.next_joiner == 1


def test_minutes_are_rounded_up_and_never_negative():
    assert minutes_until(later(seconds=1), NOW) == 1
    assert minutes_until(later(seconds=60), NOW) == 1
    assert minutes_until(later(seconds=61), NOW) == 2
    assert minutes_until(later(minutes=44, seconds=59), NOW) == 45
    assert minutes_until(NOW, NOW) == 0
    assert minutes_until(ago(5), NOW) == 0


def test_shorter_sittings_shorten_the_wait():
    # 1 table seated 10 min ago; with 30-minute sittings it frees at +20 (not +40),
    # and the party after that gets the second sitting at +50.
    quotes = quote_queue(room(1, 1, [10], dining=30), NOW, heading_over=0, waiting=1)
    assert quotes.waiting == [20]
    assert quotes.next_joiner == 50
