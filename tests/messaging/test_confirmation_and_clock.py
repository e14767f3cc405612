"""Confirmation after "head over now", releasing unconfirmed parties, and what the queue
clock tells waiting parties ("getting close" once; "your wait changed" at most every half
hour), with the host stand showing it all."""

from datetime import timedelta

import pytest

from messaging.models import Message
from orders import services
from orders.models import Order, OrderStatus, RestaurantProfile
from orders.selectors import diner_screen, diner_view, queue_snapshot

from ..conftest import minutes

pytestmark = pytest.mark.django_db


def fill_tables(join, staff_user, n=4):
    for i in range(n):
        party = join(f"Seated {i}")
        services.notify_party(party.pk, staff_user)
        services.seat_party(party.pk, staff_user)


def test_the_host_stand_shows_confirmed_with_when_or_minutes_since_the_call(
    join, staff_user, client, frozen_clock, restaurant
):
    ana, ben = join("Ana"), join("Ben")
    services.notify_party(ana.pk, staff_user)
    services.notify_party(ben.pk, staff_user)
    frozen_clock.advance(minutes(6))
    services.confirm_on_my_way(ana.pk, via="page")
    client.force_login(staff_user)
    page = client.get(f"/restaurant/{restaurant.slug}/host/").content.decode()
    assert "Confirmed 19:06" in page
    assert "not confirmed yet · 6 min" in page


def test_the_diners_page_offers_on_my_way_and_running_late_once_told_to_head_over(join, staff_user, client, frozen_clock):
    ana = join("Ana")
    assert "On my way" not in client.get(f"/q/{ana.public_token}/").content.decode()
    services.notify_party(ana.pk, staff_user)
    page = client.get(f"/q/{ana.public_token}/").content.decode()
    assert "On my way" in page and "Running 10 min late" in page and ">Cancel<" in page
    response = client.post(f"/q/{ana.public_token}/answer/", {"answer": "late", "minutes": "10"}, HTTP_HX_REQUEST="true")
    assert "we expect you by 19:20" in response.content.decode()
    actions = diner_screen(diner_view(ana.public_token)).actions
    assert actions.confirmed_at == frozen_clock() and actions.late_by == 10


def test_on_my_way_before_being_called_is_refused_kindly(join, client):
    ana = join("Ana")
    response = client.post(f"/q/{ana.public_token}/answer/", {"answer": "on_my_way"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409 and "been called yet" in response.content.decode()


def test_an_unconfirmed_party_loses_its_table_to_the_next_after_the_release_time(
    join, staff_user, frozen_clock, restaurant
):
    restaurant.release_unconfirmed_after_minutes = 5
    restaurant.auto_notify = True
    restaurant.save()
    fill_tables(join, staff_user, 3)  # one table left
    silent = join("Silent", travel_minutes=20)  # told to head over by itself: a table is free
    assert Order.objects.get(pk=silent.pk).status == OrderStatus.AWAITING_ARRIVAL
    nxt = join("Next", travel_minutes=20)
    assert Order.objects.get(pk=nxt.pk).status == OrderStatus.IN_QUEUE
    frozen_clock.advance(minutes(4))
    services.run_timing_rules(restaurant.pk)
    assert Order.objects.get(pk=nxt.pk).status == OrderStatus.IN_QUEUE
    frozen_clock.advance(minutes(1))
    services.run_timing_rules(restaurant.pk)
    silent = Order.objects.get(pk=silent.pk)
    assert silent.released_at == frozen_clock() and silent.status == OrderStatus.AWAITING_ARRIVAL  # keeps its place, late
    assert Order.objects.get(pk=nxt.pk).status == OrderStatus.AWAITING_ARRIVAL  # called for the table
    assert silent.events.filter(action="released").count() == 1


def test_a_confirmed_party_keeps_its_table(join, staff_user, frozen_clock, restaurant):
    restaurant.release_unconfirmed_after_minutes = 5
    restaurant.auto_notify = True
    restaurant.save()
    fill_tables(join, staff_user, 3)
    ana = join("Ana", travel_minutes=20)  # told to head over by itself
    services.confirm_on_my_way(ana.pk)
    nxt = join("Next", travel_minutes=20)
    frozen_clock.advance(minutes(10))
    services.run_timing_rules(restaurant.pk)
    assert Order.objects.get(pk=ana.pk).released_at is None
    assert Order.objects.get(pk=nxt.pk).status == OrderStatus.IN_QUEUE


def test_release_is_off_by_default(db):
    assert RestaurantProfile(name="x", slug="x").release_unconfirmed_after_minutes is None


def test_getting_close_is_sent_once_when_the_seating_nears(texting, join, staff_user, frozen_clock, restaurant, send_now, texts):
    fill_tables(join, staff_user, 4)  # every table taken: the queue waits for a sitting to end
    priya = texting("Priya", travel_minutes=10)
    send_now()
    assert Order.objects.get(pk=priya.pk).getting_close_at is None
    for _ in range(30):
        frozen_clock.advance(minutes(1))
        services.run_timing_rules(restaurant.pk)
    send_now()
    kinds = [t["kind"] for t in texts()]
    assert kinds.count("getting_close") == 1
    close = Message.objects.get(order=priya, kind="getting_close")
    wait = queue_snapshot(restaurant).waiting[0].estimated_wait_minutes
    assert "nearly your turn" in close.body and wait <= 10 + restaurant.getting_close_minutes


def test_a_party_quoted_a_short_wait_gets_no_separate_getting_close(texting, restaurant, send_now, texts, frozen_clock):
    texting("Priya")  # tables free: seated in about its trip
    services.run_timing_rules(restaurant.pk)
    send_now()
    assert [t["kind"] for t in texts()] == ["joined"]


def test_the_wait_changed_message_goes_when_the_projection_moves_far_and_not_again_within_half_an_hour(
    texting, join, staff_user, frozen_clock, restaurant, send_now
):
    restaurant.wait_change_alerts = True
    restaurant.wait_change_minutes = 20
    restaurant.getting_close_minutes = 0
    restaurant.save()
    fill_tables(join, staff_user, 4)
    priya = texting("Priya", travel_minutes=10)
    told = Order.objects.get(pk=priya.pk).told_seating_at
    # The projection moves 30 minutes later than she was told (her quote was too hopeful).
    Order.objects.filter(pk=priya.pk).update(told_seating_at=told - timedelta(minutes=30))
    services.run_timing_rules(restaurant.pk)
    services.run_timing_rules(restaurant.pk)
    assert Message.objects.filter(order=priya, kind="wait_changed").count() == 1
    Order.objects.filter(pk=priya.pk).update(told_seating_at=told - timedelta(minutes=60))
    frozen_clock.advance(minutes(10))
    services.run_timing_rules(restaurant.pk)
    assert Message.objects.filter(order=priya, kind="wait_changed").count() == 1  # within 30 min
    frozen_clock.advance(minutes(21))
    services.run_timing_rules(restaurant.pk)
    assert Message.objects.filter(order=priya, kind="wait_changed").count() == 2


def test_the_host_stand_reads_messages_in_a_fixed_number_of_queries(texting, staff_user, restaurant, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            queue_snapshot(restaurant)
        return len(queries)

    texting("One", phone="+14155550101")
    few = count()
    for n in range(12):
        texting(f"Party {n}", phone=f"+1415555{n + 200:04d}")
    assert count() == few


def test_the_host_sends_a_party_a_short_message(texting, staff_user, client, restaurant, send_now, texts):
    priya = texting("Priya")
    client.force_login(staff_user)
    url = f"/restaurant/{restaurant.slug}/orders/{priya.pk}/message/"
    response = client.post(url, {"note": "Your table is by the window."}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    send_now()
    assert texts()[-1]["body"] == "Trattoria Verde: Your table is by the window."
    assert client.post(url, {"note": "🎉"}, HTTP_HX_REQUEST="true").status_code == 400


def test_another_restaurants_host_cannot_message_our_party(texting, other_staff_user, client, restaurant):
    priya = texting("Priya")
    client.force_login(other_staff_user)
    response = client.post(f"/restaurant/{restaurant.slug}/orders/{priya.pk}/message/", {"note": "hi"})
    assert response.status_code == 403
    assert not Message.objects.filter(kind="host").exists()
