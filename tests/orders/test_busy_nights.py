"""What keeps one diner, one address or one evening from swamping a restaurant's queue: a cap
on the queue's length, the host approving remote joins, removing several parties at once, and
joins limited per address and per restaurant (429, with when to try again).

Trattoria Verde: 4 tables, parties of up to 8."""

import re
from html import unescape

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from orders import services
from orders.models import Order, OrderEvent, OrderStatus

S = OrderStatus

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def text_of(response):
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def fresh(order):
    order.refresh_from_db()
    return order


def positions(restaurant):
    return list(
        Order.objects.filter(restaurant=restaurant, status=S.IN_QUEUE)
        .order_by("queue_position")
        .values_list("customer_name", "queue_position")
    )


@pytest.fixture
def host(staff_user):
    browser = Client()
    browser.force_login(staff_user)
    return browser


def host_url(restaurant):
    return reverse("staff:host", args=[restaurant.slug])


def action_url(order, action):
    return reverse("staff:order_action", args=[order.restaurant.slug, order.pk, action])


def join_form(menu, name="Priya", **extra):
    return {
        "customer_name": name,
        "party_size": "2",
        f"item-{menu['pizza'].pk}-qty": "1",
        **extra,
    }


def diner(address="198.51.100.7"):
    return Client(REMOTE_ADDR=address)


# -- The queue's cap ------------------------------------------------------------------------


def test_a_full_queue_turns_the_next_party_away_and_takes_one_again_when_someone_leaves(
    restaurant, join
):
    restaurant.max_queue_length = 2
    restaurant.save()
    first = join("Ana")
    join("Ben")
    with pytest.raises(services.QueueFull, match="The queue is full right now"):
        join("Cleo")
    assert Order.objects.count() == 2
    services.leave_queue(first.pk)
    assert join("Cleo").queue_position == 2


def test_parties_asking_to_join_count_against_the_cap(restaurant, join):
    restaurant.max_queue_length = 1
    restaurant.approve_remote_joins = True
    restaurant.save()
    join("Ana")  # asks: no place yet, but one of the 1
    with pytest.raises(services.QueueFull):
        join("Ben")


def test_the_diner_reads_that_the_queue_is_full(restaurant, menu, join):
    restaurant.max_queue_length = 1
    restaurant.save()
    join("Ana")
    response = diner().post(restaurant.get_absolute_url(), join_form(menu, "Ben"))
    assert response.status_code == 409
    assert "The queue is full right now" in text_of(response)
    assert not Order.objects.filter(customer_name="Ben").exists()


# -- The host approves remote joins --------------------------------------------------------------


@pytest.fixture
def approving(restaurant):
    restaurant.approve_remote_joins = True
    restaurant.save()
    return restaurant


def test_a_party_at_an_approving_restaurant_asks_and_waits_for_the_host(approving, menu):
    response = diner().post(approving.get_absolute_url(), join_form(menu, "Ben"), follow=True)
    ben = Order.objects.get(customer_name="Ben")
    assert (ben.status, ben.queue_position, ben.quoted_wait_minutes) == (S.REQUESTED, None, None)
    page = text_of(response)
    assert "host will confirm shortly" in page
    assert "Your place" not in page
    assert OrderEvent.objects.filter(order=ben, action="asked_to_join").exists()


def test_the_host_sees_the_requests_and_accepting_one_puts_it_at_the_back_with_a_quote(
    approving, join, host, queue_changes, django_capture_on_commit_callbacks
):
    approving.approve_remote_joins = False
    approving.save()
    join("Ana")
    approving.approve_remote_joins = True
    approving.save()
    ben = join("Ben")
    page = host.get(host_url(approving))
    section = re.search(r'<section id="host-join-requests".*?</section>', page.content.decode(), re.S)[0]
    assert "Ben" in section and "Accept" in section and "Decline" in section
    assert "Ana" not in section

    with django_capture_on_commit_callbacks(execute=True):
        response = host.post(action_url(ben, "accept"), **HTMX)
    assert response.status_code == 200
    assert "Ben (" in text_of(response) and "is in the queue now" in text_of(response)
    ben = fresh(ben)
    assert ben.status == S.IN_QUEUE and ben.queue_position == 2
    assert ben.quoted_wait_minutes is not None
    assert OrderEvent.objects.filter(order=ben, action="accepted", actor__isnull=False).exists()
    assert ben.pk in queue_changes[-1][1]  # its diner page hears of it
    assert positions(approving) == [("Ana", 1), ("Ben", 2)]


def test_a_declined_party_reads_that_the_restaurant_cannot_take_them(approving, join, host):
    ben = join("Ben")
    assert host.post(action_url(ben, "decline")).status_code == 302
    ben = fresh(ben)
    assert ben.status == S.DECLINED and ben.queue_position is None
    page = text_of(diner().get(ben.get_absolute_url()))
    assert "can't take your party right now" in page
    assert "Leave the queue" not in page
    assert OrderEvent.objects.filter(order=ben, action="declined").exists()


def test_a_request_cannot_be_accepted_twice(approving, join, host):
    ben = join("Ben")
    host.post(action_url(ben, "accept"))
    response = host.post(action_url(ben, "accept"), **HTMX)
    assert response.status_code == 409
    assert fresh(ben).queue_position == 1


def test_a_diner_may_withdraw_a_request(approving, join):
    ben = join("Ben")
    browser = diner()
    assert "withdrawn" in text_of(browser.get(reverse("diner:leave", args=[ben.public_token])))
    browser.post(reverse("diner:leave", args=[ben.public_token]))
    assert fresh(ben).status == S.CANCELLED


def test_the_requests_section_is_a_live_piece_of_the_host_stand(approving, join):
    from live_queue import screens
    from orders import selectors

    before = screens.render_host(selectors.queue_snapshot(approving), {25})[25]
    join("Ben")
    after = screens.render_host(selectors.queue_snapshot(approving), {25})[25]
    assert "Ben" in after.pieces["host-join-requests"]
    # A request arriving is pushed to the host stand as that section.
    assert "Ben" in screens.changes(before, after)
    assert "Ben" in after.whole()


def test_without_approvals_nobody_asks_and_the_section_stays_hidden(restaurant, join, host):
    assert fresh(join("Ana")).status == S.IN_QUEUE
    page = host.get(host_url(restaurant)).content.decode()
    assert re.search(r'<section id="host-join-requests"[^>]*\bhidden\b', page)


# -- Remove selected ---------------------------------------------------------------------------


def test_removing_several_parties_is_one_change_with_one_announcement(
    restaurant, join, staff_user, queue_changes, django_capture_on_commit_callbacks
):
    ana, ben, cleo, dev = (join(name) for name in ["Ana", "Ben", "Cleo", "Dev"])
    with django_capture_on_commit_callbacks(execute=True):
        removed = services.remove_parties(restaurant.pk, [ben.pk, dev.pk, ana.pk], staff_user)
    assert [o.customer_name for o in removed] == ["Ana", "Ben", "Dev"]
    assert positions(restaurant) == [("Cleo", 1)]
    assert len(queue_changes) == 1
    assert {ana.pk, ben.pk, dev.pk} <= set(queue_changes[0][1])
    assert OrderEvent.objects.filter(action="removed", actor=staff_user).count() == 3


def test_when_one_selected_party_cannot_be_removed_none_is(restaurant, join, staff_user):
    ana, ben = join("Ana"), join("Ben")
    services.notify_party(ana.pk, staff_user)
    services.seat_party(ana.pk, staff_user)
    with pytest.raises(services.IllegalTransition, match="Nothing was removed: cannot remove Ana"):
        services.remove_parties(restaurant.pk, [ana.pk, ben.pk], staff_user)
    assert fresh(ben).status == S.IN_QUEUE and fresh(ana).status == S.READY


def test_another_restaurants_party_cannot_be_removed_from_here(
    restaurant, other_restaurant, other_menu_item, join, staff_user
):
    ana = join("Ana")
    lupe = join("Lupe", at=other_restaurant, dishes={other_menu_item: 1})
    with pytest.raises(services.IllegalTransition, match="not in Trattoria Verde's list"):
        services.remove_parties(restaurant.pk, [ana.pk, lupe.pk], staff_user)
    assert fresh(lupe).status == S.IN_QUEUE and fresh(ana).status == S.IN_QUEUE


def test_the_host_ticks_parties_confirms_and_they_are_removed_without_javascript(
    restaurant, join, host
):
    ana, ben, cleo = join("Ana"), join("Ben"), join("Cleo")
    page = host.get(host_url(restaurant)).content.decode()
    # A box per queue row, with an id of its own and kept across pushes, belonging to the
    # Remove selected form, which lives outside the pushed queue.
    for party in (ana, ben, cleo):
        box = re.search(rf'<input type="checkbox" id="select-party-{party.pk}"[^>]*>', page)[0]
        assert 'form="remove-selected"' in box and "hx-preserve" in box
    queue = re.search(r'<section id="host-queue".*?</section>', page, re.S)[0]
    assert 'id="remove-selected"' not in queue and 'id="remove-selected"' in page

    url = reverse("staff:remove_selected", args=[restaurant.slug])
    confirm = host.post(url, {"order": [str(ana.pk), str(cleo.pk)]})
    assert confirm.status_code == 200
    text = text_of(confirm)
    assert "Remove 2 parties from the list?" in text
    assert "Ana" in text and "Cleo" in text and "Ben" not in text
    assert positions(restaurant) == [("Ana", 1), ("Ben", 2), ("Cleo", 3)]  # nothing yet

    done = host.post(url, {"order": [str(ana.pk), str(cleo.pk)], "confirm": "yes"}, follow=True)
    assert "Removed 2 parties: Ana" in text_of(done)
    assert positions(restaurant) == [("Ben", 1)]


def test_remove_selected_with_nothing_ticked_or_a_forged_id_is_refused(restaurant, join, host):
    join("Ana")
    url = reverse("staff:remove_selected", args=[restaurant.slug])
    nothing = host.post(url, {"confirm": "yes"})
    assert nothing.status_code == 400 and "Tick the parties to remove first" in text_of(nothing)
    forged = host.post(url, {"order": ["x1"], "confirm": "yes"})
    assert forged.status_code == 400
    assert positions(restaurant) == [("Ana", 1)]


def test_remove_selected_is_for_this_restaurants_staff_only(restaurant, join, other_staff_user):
    ana = join("Ana")
    neighbour = Client()
    neighbour.force_login(other_staff_user)
    url = reverse("staff:remove_selected", args=[restaurant.slug])
    assert neighbour.post(url, {"order": [str(ana.pk)], "confirm": "yes"}).status_code == 403
    assert fresh(ana).status == S.IN_QUEUE


# -- Joins limited per address and per restaurant --------------------------------------------------


@override_settings(JOIN_RATE_PER_ADDRESS="3/m", JOIN_RATE_PER_RESTAURANT="100/m")
def test_one_address_gets_three_joins_a_minute_then_429_with_when_to_try_again(restaurant, menu):
    phone = diner("203.0.113.9")
    for n in range(3):
        assert phone.post(restaurant.get_absolute_url(), join_form(menu, f"Party {n}")).status_code == 302
    refused = phone.post(restaurant.get_absolute_url(), join_form(menu, "Party 4"))
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert 1 <= wait <= 60
    text = text_of(refused)
    assert "Too many parties joined from your connection just now" in text
    assert re.search(r"Please try again in \d+ seconds? \(after \d\d:\d\d:\d\d\)", text)
    assert 'value="Party 4"' in refused.content.decode()  # what was typed is kept
    assert Order.objects.count() == 3
    # Another phone, another address: not held back.
    assert diner("198.51.100.20").post(restaurant.get_absolute_url(), join_form(menu, "Zoe")).status_code == 302


@override_settings(JOIN_RATE_PER_ADDRESS="100/m", JOIN_RATE_PER_RESTAURANT="4/m")
def test_one_restaurant_takes_so_many_joins_a_minute_from_everywhere(restaurant, menu, other_restaurant, other_menu_item):
    for n in range(4):
        response = diner(f"198.51.100.{n + 1}").post(restaurant.get_absolute_url(), join_form(menu, f"P{n}"))
        assert response.status_code == 302
    refused = diner("198.51.100.99").post(restaurant.get_absolute_url(), join_form(menu, "Late"))
    assert refused.status_code == 429 and "Retry-After" in refused
    assert "Trattoria Verde is getting more sign-ups than it can take just now" in text_of(refused)
    # The restaurant next door counts its own.
    form = {"customer_name": "Lupe", "party_size": "2", f"item-{other_menu_item.pk}-qty": "1"}
    assert diner("198.51.100.99").post(other_restaurant.get_absolute_url(), form).status_code == 302


@override_settings(JOIN_RATE_PER_ADDRESS="2/m")
def test_reading_the_restaurant_page_is_not_counted(restaurant, menu):
    phone = diner()
    for _ in range(5):
        assert phone.get(restaurant.get_absolute_url()).status_code == 200
    assert phone.post(restaurant.get_absolute_url(), join_form(menu)).status_code == 302


# -- What a diner types ------------------------------------------------------------------------------


INVISIBLE_NAMES = ["\u200b\u200b\u200b", "\u200d", "\u2060\ufeff", "\u3164\u3164", " \u00a0 ", "\u0301"]


@pytest.mark.parametrize("name", INVISIBLE_NAMES, ids=["zwsp", "zwj", "word-joiner-bom", "hangul-filler", "nbsp", "lone-accent"])
def test_a_name_nobody_can_see_is_refused_by_the_form_and_the_service(restaurant, menu, join, name):
    response = diner().post(restaurant.get_absolute_url(), join_form(menu, name))
    assert response.status_code == 400
    assert Order.objects.count() == 0
    with pytest.raises(services.InvalidJoin) as refused:
        join(name)
    assert "customer_name" in refused.value.errors
    assert Order.objects.count() == 0


@pytest.mark.parametrize("name", ["Zoë", "李", "O'Neil", "🙂", "Ана"])
def test_names_in_any_script_or_a_sign_are_welcome(join, name):
    assert join(name).customer_name == name


def test_a_huge_note_is_refused_naming_the_field_not_cut(restaurant, menu, join):
    form = join_form(menu, **{f"item-{menu['pizza'].pk}-note": "extra basil " * 9000})
    response = diner().post(restaurant.get_absolute_url(), form)
    assert response.status_code == 400
    assert "The note for the kitchen about Margherita pizza can be at most 200 characters (this one has 107999)" in text_of(response)
    assert Order.objects.count() == 0
    with pytest.raises(services.InvalidJoin, match="note for the kitchen about Margherita pizza can be at most 200"):
        services.join_queue(
            restaurant.pk, customer_name="Ana", party_size=2,
            lines=[services.LineRequest(menu["pizza"].pk, 1, "x" * 201)],
        )
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    "field, value, says",
    [
        ("customer_name", "N" * 81, "Your name can be at most 80 characters (this one has 81)."),
        ("phone", "0" * 33, "Phone can be at most 32 characters (this one has 33)."),
        ("email", "a" * 250 + "@example.com", "Email can be at most 254 characters (this one has 262)."),
    ],
)
def test_over_long_fields_are_refused_by_the_form_and_the_service_naming_the_field(
    restaurant, menu, join, field, value, says
):
    response = diner().post(restaurant.get_absolute_url(), join_form(menu, **{field: value}))
    assert response.status_code == 400
    assert says in text_of(response)
    kwargs = {"customer_name": "Ana", field: value}
    with pytest.raises(services.InvalidJoin) as refused:
        join(kwargs.pop("customer_name"), **kwargs)
    assert refused.value.errors[field] == says
    assert Order.objects.count() == 0


def test_the_service_refuses_control_characters_a_screen_cannot_show(join):
    with pytest.raises(services.InvalidJoin, match="control characters"):
        join("Ana\x07")
    with pytest.raises(services.InvalidJoin, match="control characters"):
        join("Ana", phone="+44\x00")


# -- Staff numbers out of range: 400, not 409 ----------------------------------------------------------


@pytest.mark.parametrize("size", ["0", "101", "999999"])
def test_a_walk_in_party_of_no_one_or_too_many_is_a_400_with_the_reason(restaurant, host, size):
    table = restaurant.tables.first()
    url = reverse("staff:table_action", args=[restaurant.slug, table.pk, "seat-walk-in"])
    response = host.post(url, {"party_size": size}, **HTMX)
    assert response.status_code == 400
    assert "A walk-in party has between 1 and 100 people." in text_of(response)
    table.refresh_from_db()
    assert not table.walk_in
    with pytest.raises(services.OutOfRange):
        services.seat_walk_in(restaurant.pk, None, table_id=table.pk, party_size=int(size))
