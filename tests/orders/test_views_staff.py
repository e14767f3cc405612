"""The staff side over HTTP: logging in, the host stand, the kitchen display, and every button
on them, pressed as a plain form (answer: a redirect back) and through htmx (answer: the
screen's fragments, with a refusal shown inline). Only a restaurant's own staff get in, and
a refused action changes nothing.

Trattoria Verde: 4 tables, 10 minutes' default travel. Casa Azul is next door, with its own host."""

import re
from html import unescape
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from orders import services
from orders.models import Order, OrderEvent, OrderItem, OrderStatus, RestaurantProfile
from tests.conftest import STAFF_PASSWORD, minutes

S = OrderStatus

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def text_of(response):
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def host_url(restaurant):
    return reverse("staff:host", args=[restaurant.slug])


def kitchen_url(restaurant):
    return reverse("staff:kitchen", args=[restaurant.slug])


def action_url(order, action):
    return reverse("staff:order_action", args=[order.restaurant.slug, order.pk, action])


def login_url(next_url):
    return f"{reverse('staff:login')}?next={next_url}"


def fresh(order):
    order.refresh_from_db()
    return order


def history():
    """Everything a staff action could write: the order log, orders' states, the tables."""
    return (
        OrderEvent.objects.count(),
        list(Order.objects.order_by("pk").values_list("status", "queue_position")),
        list(RestaurantProfile.objects.order_by("pk").values_list("currently_occupied_tables")),
        OrderItem.objects.count(),
    )


@pytest.fixture
def host(client, staff_user):
    """A browser logged in as Trattoria Verde's host."""
    client.force_login(staff_user)
    return client


@pytest.fixture
def neighbour(other_staff_user):
    """A browser logged in as the host of Casa Azul, next door."""
    browser = Client()
    browser.force_login(other_staff_user)
    return browser


@pytest.fixture
def party_in(join, staff_user):
    """A party brought to a point of its evening: waiting, heading_over, received, seated."""

    def bring(state, name="Priya", **kwargs):
        order = join(name, **kwargs)
        if state != "waiting":
            services.notify_party(order.pk, staff_user)
        if state == "received":
            services.accept_ticket(order.pk, staff_user)
        if state == "seated":
            services.seat_party(order.pk, staff_user)
        return fresh(order)

    return bring


class Forms(HTMLParser):
    """(method, [input names]) of every form on a page."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(((attrs.get("method") or "get").lower(), []))
        elif tag in ("input", "button", "select", "textarea") and self.forms:
            self.forms[-1][1].append(attrs.get("name"))


def post_forms(response):
    parser = Forms()
    parser.feed(response.content.decode())
    return [names for method, names in parser.forms if method == "post"]


# ---------------------------------------------------------------------------------------
# Logging in and out


def test_login_page_has_labelled_fields_and_a_forgery_token(client):
    response = client.get(reverse("staff:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username"' in html
    assert '<label for="id_password"' in html
    assert "Restaurant staff login" in text_of(response)
    (form,) = post_forms(response)
    assert "csrfmiddlewaretoken" in form


def test_host_logs_in_and_lands_on_their_host_stand(client, staff_user, restaurant):
    response = client.post(
        reverse("staff:login"), {"username": "host", "password": STAFF_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1] == (host_url(restaurant), 302)
    assert "Trattoria Verde — host stand" in text_of(response)


def test_login_goes_back_to_the_screen_that_asked_for_it(client, staff_user, restaurant):
    response = client.post(
        reverse("staff:login"),
        {"username": "host", "password": STAFF_PASSWORD, "next": kitchen_url(restaurant)},
    )
    assert response.status_code == 302
    assert response["Location"] == kitchen_url(restaurant)


def test_login_never_sends_staff_to_another_site(client, staff_user):
    response = client.post(
        reverse("staff:login"),
        {"username": "host", "password": STAFF_PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_wrong_password_is_refused_with_a_message(client, staff_user, restaurant):
    response = client.post(reverse("staff:login"), {"username": "host", "password": "guess"})
    assert response.status_code == 400
    assert "Your username and password didn't match" in text_of(response)
    assert client.get(host_url(restaurant)).status_code == 302  # still logged out


def test_logged_in_host_visiting_login_goes_to_their_restaurants(host):
    response = host.get(reverse("staff:login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:home")


def test_logging_out_ends_the_session(host, restaurant):
    response = host.post(reverse("staff:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:login")
    assert host.get(host_url(restaurant)).status_code == 302


def test_logging_out_only_answers_the_log_out_button(host, restaurant):
    assert host.get(reverse("staff:logout")).status_code == 405
    assert host.get(host_url(restaurant)).status_code == 200  # still logged in


# ---------------------------------------------------------------------------------------
# Staff home


def test_staff_home_sends_strangers_to_the_login_page(client):
    response = client.get(reverse("staff:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:login"))


def test_host_of_one_restaurant_goes_straight_to_its_host_stand(host, restaurant):
    response = host.get(reverse("staff:home"))
    assert response.status_code == 302
    assert response["Location"] == host_url(restaurant)


def test_host_of_two_restaurants_picks_one(host, staff_user, other_restaurant):
    other_restaurant.staff.add(staff_user)
    response = host.get(reverse("staff:home"))
    assert response.status_code == 200
    page = text_of(response)
    assert "Casa Azul Host stand Kitchen display" in page
    assert "Trattoria Verde Host stand Kitchen display" in page
    assert f'href="{kitchen_url(other_restaurant)}"' in response.content.decode()


def test_account_on_no_staff_is_told_to_ask_a_manager(client, django_user_model, restaurant):
    client.force_login(django_user_model.objects.create(username="newbie"))
    response = client.get(reverse("staff:home"))
    assert response.status_code == 200
    assert "not on the staff of any restaurant yet" in text_of(response)


def test_superuser_sees_every_restaurant(client, django_user_model, restaurant, other_restaurant):
    client.force_login(django_user_model.objects.create(username="owner", is_superuser=True))
    page = text_of(client.get(reverse("staff:home")))
    assert "Casa Azul" in page and "Trattoria Verde" in page
    assert client.get(host_url(other_restaurant)).status_code == 200


# ---------------------------------------------------------------------------------------
# The host stand and the kitchen display


@pytest.fixture
def evening(party_in, frozen_clock, menu):
    """19:00 Kenji sits down; Amelia is told to come (due 19:10); Priya and Jonas wait.
    The page is read at 19:12."""
    kenji = party_in("seated", "Kenji", party_size=4)
    amelia = party_in(
        "heading_over", "Amelia", party_size=3, dishes={"risotto": 2, "salad": 1}
    )
    OrderItem.objects.filter(order=amelia, menu_item=menu["risotto"]).update(note="no parmesan")
    priya = party_in("waiting", "Priya", phone="+44 7911 123456")
    jonas = party_in("waiting", "Jonas", party_size=5)
    frozen_clock.advance(minutes(12))
    return {"kenji": kenji, "amelia": amelia, "priya": priya, "jonas": jonas}


def test_host_stand_shows_the_queue_in_order_and_the_room(host, restaurant, evening):
    response = host.get(host_url(restaurant))
    assert response.status_code == 200
    page = text_of(response)
    priya, jonas = evening["priya"], evening["jonas"]
    # position, code, name (and phone), a "Notify now" flag (tables are free), party size
    # and the table it is projected to get, time waited, quoted wait
    assert f"Place 1 {priya.order_code} Priya +447911123456 Notify now Party of 2 T" in page
    assert f"Waited 12 min , quoted {priya.quoted_wait_minutes} min" in page
    assert f"Place 2 {jonas.order_code} Jonas Notify now Party of 5 T" in page
    assert page.index("Priya") < page.index("Jonas")
    assert "Queue (2)" in page
    assert "Tables occupied 1 / 4" in page
    assert "Heading over (1)" in page and "Amelia" in page and "Due 19:10" in page
    assert "Seated (1)" in page and "Kenji" in page
    assert "Wait for a new party" in page
    for button in ["Notify next", "Notify", "Yes, remove", "No-show", "Complete", "Close the queue"]:
        assert f">{button}</button>" in response.content.decode(), button
    # Amelia, heading over, is seated at the table she is expected at with one press.
    assert re.search(r">Seat at T\d+</button>", response.content.decode())


def test_kitchen_display_shows_the_ticket_of_a_party_told_to_come(host, restaurant, evening):
    response = host.get(kitchen_url(restaurant))
    assert response.status_code == 200
    page = text_of(response)
    assert evening["amelia"].order_code in page
    assert "Amelia · party of 3" in page
    assert "2 × Mushroom risotto" in page
    assert "no parmesan" in page
    assert "1 × Burrata salad" in page
    assert "Start cooking now" in page
    # A seated party's food has gone out: its ticket is off the board. (Which waiting parties
    # the kitchen sees ahead of time is the timing rules' business, tested with them.)
    assert evening["kenji"].order_code not in page


def test_every_staff_form_carries_a_forgery_token(host, restaurant, evening):
    for url in [host_url(restaurant), kitchen_url(restaurant), reverse("staff:home")]:
        response = host.get(url, follow=True)
        forms = post_forms(response)
        assert forms, url
        for names in forms:
            assert "csrfmiddlewaretoken" in names, url


# ---------------------------------------------------------------------------------------
# Every button, as a plain form and through htmx

ACTIONS = [
    # (button, the party's state before, its status after, screen, what the staff is told)
    ("notify", "waiting", S.AWAITING_ARRIVAL, "host", "Priya ({code}) was told to head over now."),
    ("seat", "heading_over", S.READY, "host", "Priya ({code}) is seated."),
    ("complete", "seated", S.COMPLETED, "host", "Priya ({code}) has left; the table is free."),
    ("no-show", "heading_over", S.NO_SHOW, "host", "Priya ({code}) was marked a no-show."),
    ("remove", "waiting", S.CANCELLED, "host", "Priya ({code}) was removed from the queue."),
    ("receive", "heading_over", S.RECEIVED, "kitchen", "Ticket {code} marked as seen; not cooking yet."),
    ("prepare", "heading_over", S.PREPARING, "kitchen", "Cooking started for ticket {code}."),
    ("food-ready", "received", S.RECEIVED, "kitchen", "Food for {code} is ready."),
]
ACTION_IDS = [action for action, *_ in ACTIONS]

SCREEN_FRAGMENT = {"host": 'id="host-queue"', "kitchen": 'id="kitchen-tickets"'}


@pytest.mark.parametrize("action, before, after, screen, told", ACTIONS, ids=ACTION_IDS)
def test_button_as_a_plain_form_acts_and_goes_back_to_the_screen(
    host, restaurant, party_in, action, before, after, screen, told
):
    order = party_in(before)
    response = host.post(action_url(order, action), {"screen": screen})
    assert response.status_code == 302
    assert response["Location"] == reverse(f"staff:{screen}", args=[restaurant.slug])
    assert fresh(order).status == after
    # The message waits on the screen the staff member goes back to.
    assert told.format(code=order.order_code) in text_of(host.get(response["Location"]))


@pytest.mark.parametrize("action, before, after, screen, told", ACTIONS, ids=ACTION_IDS)
def test_button_through_htmx_answers_with_the_message_and_leaves_the_screen_to_its_socket(
    host, restaurant, party_in, action, before, after, screen, told
):
    """The screen itself changes through its live socket; the click's answer is only the
    message, so a click costs the same however long the queue is."""
    order = party_in(before)
    response = host.post(action_url(order, action), {"screen": screen}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body  # fragments, not a page
    assert SCREEN_FRAGMENT[screen] not in body
    assert body.lstrip().startswith('<div id="flash" hx-swap-oob="true"')
    assert told.format(code=order.order_code) in text_of(response)
    assert fresh(order).status == after
    # How long the queue's own work took, apart from the rest of the click.
    assert re.match(r"service;dur=\d+\.\d;", response["Server-Timing"])


def test_food_marked_ready_shows_on_the_host_stand(host, restaurant, party_in):
    order = party_in("received")
    host.post(action_url(order, "food-ready"), {"screen": "kitchen"})
    assert fresh(order).food_ready_at is not None
    assert "kitchen: food ready" in text_of(host.get(host_url(restaurant)))


def test_removing_a_party_moves_everyone_behind_up(host, party_in):
    priya, jonas = party_in("waiting", "Priya"), party_in("waiting", "Jonas")
    host.post(action_url(priya, "remove"))
    assert fresh(jonas).queue_position == 1


def test_notify_next_tells_the_party_at_the_head_of_the_queue(host, restaurant, party_in):
    priya, jonas = party_in("waiting", "Priya"), party_in("waiting", "Jonas")
    response = host.post(reverse("staff:notify_next", args=[restaurant.slug]), {"order": priya.pk})
    assert response.status_code == 302
    assert fresh(priya).status == S.AWAITING_ARRIVAL
    assert fresh(jonas).status == S.IN_QUEUE
    assert fresh(jonas).queue_position == 1
    assert f"Priya ({priya.order_code}) was told to head over now." in text_of(
        host.get(response["Location"])
    )


def test_notify_next_without_naming_the_party_takes_the_head(host, restaurant, party_in):
    priya, jonas = party_in("waiting", "Priya"), party_in("waiting", "Jonas")
    response = host.post(reverse("staff:notify_next", args=[restaurant.slug]), **HTMX)
    assert response.status_code == 200
    assert "was told to head over now" in text_of(response)
    assert fresh(priya).status == S.AWAITING_ARRIVAL
    assert fresh(jonas).status == S.IN_QUEUE


@pytest.mark.parametrize("accepting, is_open, told", [
    ("closed", False, "The queue is closed to new parties."),
    ("open", True, "The queue is open for new parties."),
])
def test_host_opens_and_closes_the_queue(host, restaurant, accepting, is_open, told):
    restaurant.accepting_joins = not is_open
    restaurant.save()
    url = reverse("staff:accepting", args=[restaurant.slug])
    response = host.post(url, {"accepting": accepting})
    assert response.status_code == 302
    restaurant.refresh_from_db()
    assert restaurant.accepting_joins is is_open
    assert told in text_of(host.get(response["Location"]))
    htmx = host.post(url, {"accepting": accepting}, **HTMX)
    assert htmx.status_code == 200
    assert told in text_of(htmx)
    assert ("Open the queue" if not is_open else "Close the queue") in text_of(
        host.get(response["Location"])
    )


def test_closing_the_queue_shows_diners_it_is_closed(host, restaurant, menu):
    host.post(reverse("staff:accepting", args=[restaurant.slug]), {"accepting": "closed"})
    assert "The queue is closed" in text_of(Client().get(restaurant.get_absolute_url()))


# ---------------------------------------------------------------------------------------
# Refusals: 409 with the reason inline, nothing changed


def test_second_notify_of_the_same_party_is_refused_inline(host, party_in):
    order = party_in("waiting")
    host.post(action_url(order, "notify"), **HTMX)
    before = history()
    response = host.post(action_url(order, "notify"), **HTMX)
    assert response.status_code == 409
    body = response.content.decode()
    assert '<div id="flash" hx-swap-oob="true"' in body
    assert f"Priya ({order.order_code}) is already heading over." in text_of(response)
    assert history() == before


def test_refusal_as_a_plain_form_shows_the_whole_screen_with_the_reason(host, party_in):
    order = party_in("waiting")
    before = history()
    response = host.post(action_url(order, "seat"))
    assert response.status_code == 409
    page = text_of(response)
    assert f"Cannot seat Priya ({order.order_code}): the party is waiting in queue." in page
    assert "host stand" in page
    assert history() == before


def test_two_hosts_pressing_notify_next_at_once_notify_one_party(
    host, staff_user, restaurant, party_in
):
    priya, jonas = party_in("waiting", "Priya"), party_in("waiting", "Jonas")
    url = reverse("staff:notify_next", args=[restaurant.slug])
    # Both host stands showed Priya at the head of the queue.
    other_stand = Client()
    other_stand.force_login(staff_user)
    assert host.post(url, {"order": priya.pk}, **HTMX).status_code == 200
    late = other_stand.post(url, {"order": priya.pk}, **HTMX)
    assert late.status_code == 409
    assert "already heading over" in text_of(late)
    assert fresh(jonas).status == S.IN_QUEUE


def test_notify_next_with_nobody_waiting_is_refused(host, restaurant):
    before = history()
    response = host.post(reverse("staff:notify_next", args=[restaurant.slug]), **HTMX)
    assert response.status_code == 409
    assert "Nobody is waiting in the queue." in text_of(response)
    assert history() == before


def test_seating_with_every_table_taken_is_refused(host, party_in):
    for name in ["Oliveira", "Haddad", "Nakamura", "Brennan"]:
        party_in("seated", name)
    zoe = party_in("heading_over", "Zoe")
    before = history()
    response = host.post(action_url(zoe, "seat"), **HTMX)
    assert response.status_code == 409
    assert f"All 4 tables are occupied: complete a table before seating Zoe ({zoe.order_code})." in (
        text_of(response)
    )
    assert history() == before


def test_restaurant_with_one_table_seats_one_party_at_a_time(
    host, django_user_model, staff_user, menu
):
    # The simplest set-up: just a number of tables.
    bistro = RestaurantProfile.objects.create(
        name="Bistro Uno", slug="bistro-uno", total_tables=1, order_required=False
    )
    bistro.staff.add(staff_user)
    first, second = (
        services.join_queue(bistro.pk, customer_name=name, party_size=2) for name in ["Ana", "Ben"]
    )
    for order in (first, second):
        services.notify_party(order.pk, staff_user)
    assert host.post(action_url(first, "seat")).status_code == 302
    refused = host.post(action_url(second, "seat"))
    assert refused.status_code == 409
    assert "complete a table before seating Ben" in text_of(refused)
    assert host.post(action_url(first, "complete")).status_code == 302
    assert host.post(action_url(second, "seat")).status_code == 302
    assert fresh(second).status == S.READY


def test_kitchen_cannot_prepare_a_ticket_twice(host, party_in):
    order = party_in("heading_over")
    host.post(action_url(order, "prepare"), {"screen": "kitchen"}, **HTMX)
    response = host.post(action_url(order, "prepare"), {"screen": "kitchen"}, **HTMX)
    assert response.status_code == 409
    assert "is already preparing" in text_of(response)


def test_unknown_button_is_refused(host, party_in):
    order = party_in("waiting")
    before = history()
    response = host.post(action_url(order, "upgrade-to-vip"))
    assert response.status_code == 400
    assert "That button does nothing here." in text_of(response)
    assert history() == before


def test_party_of_another_restaurant_cannot_be_touched_through_this_one(
    host, restaurant, other_restaurant, other_menu_item
):
    stranger = services.join_queue(
        other_restaurant.pk,
        customer_name="Lupe",
        party_size=2,
        lines=[services.LineRequest(other_menu_item.pk, 1)],
    )
    before = history()
    url = reverse("staff:order_action", args=[restaurant.slug, stranger.pk, "notify"])
    assert host.post(url).status_code == 404
    # nor by naming it as the head of this restaurant's queue
    response = host.post(reverse("staff:notify_next", args=[restaurant.slug]), {"order": stranger.pk})
    assert response.status_code == 409
    assert "That party is not in this restaurant's queue." in text_of(response)
    assert history() == before


@pytest.mark.parametrize("order_id", ["987654", "99999999999999999999999999"])
def test_party_that_does_not_exist_is_not_found(host, restaurant, party_in, order_id):
    party_in("waiting")
    before = history()
    response = host.post(f"/restaurant/{restaurant.slug}/orders/{order_id}/notify/")
    assert response.status_code == 404
    # Said on the host stand itself, so an htmx click shows it too.
    assert "That party is not in Trattoria Verde's list any more." in text_of(response)
    assert "matches the given query" not in text_of(response)  # no developer-speak
    assert history() == before


@pytest.mark.parametrize("value", ["abc", "-3", "1.5", ""])
def test_notify_next_with_a_malformed_party_is_refused(host, restaurant, party_in, value):
    party_in("waiting")
    before = history()
    response = host.post(reverse("staff:notify_next", args=[restaurant.slug]), {"order": value or " "})
    assert response.status_code == 400
    assert "Unknown party." in text_of(response)
    assert history() == before


def test_notify_next_with_a_superscript_digit_is_refused_not_crashed(staff_user, restaurant, party_in):
    party_in("waiting")
    browser = Client(raise_request_exception=False)
    browser.force_login(staff_user)
    response = browser.post(reverse("staff:notify_next", args=[restaurant.slug]), {"order": "²"})
    assert response.status_code == 400


@pytest.mark.parametrize("value", ["", "maybe", "OPEN"])
def test_queue_is_only_opened_or_closed(host, restaurant, value):
    response = host.post(reverse("staff:accepting", args=[restaurant.slug]), {"accepting": value})
    assert response.status_code == 400
    assert "Say whether the queue is open or closed." in text_of(response)
    restaurant.refresh_from_db()
    assert restaurant.accepting_joins is True


# ---------------------------------------------------------------------------------------
# Who may do what


def staff_urls(restaurant, order):
    """Every staff URL of a restaurant with the method its screen uses."""
    urls = [("get", host_url(restaurant)), ("get", kitchen_url(restaurant))]
    urls += [("post", action_url(order, action)) for action in ACTION_IDS]
    urls += [
        ("post", reverse("staff:notify_next", args=[restaurant.slug])),
        ("post", reverse("staff:accepting", args=[restaurant.slug])),
    ]
    return urls


def test_strangers_are_sent_to_log_in_first_and_nothing_changes(client, restaurant, party_in):
    order = party_in("heading_over")
    before = history()
    for method, url in staff_urls(restaurant, order):
        data = {"order": order.pk, "accepting": "closed"} if method == "post" else None
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        next_url = url if method == "get" else host_url(restaurant)
        assert response["Location"] == login_url(next_url), url
    assert history() == before


def test_stranger_pressing_a_kitchen_button_logs_in_back_to_the_kitchen(
    client, restaurant, party_in
):
    order = party_in("heading_over")
    response = client.post(action_url(order, "prepare"), {"screen": "kitchen"})
    assert response["Location"] == login_url(kitchen_url(restaurant))


def test_host_logged_out_elsewhere_is_taken_to_the_login_page_by_htmx(
    client, restaurant, party_in
):
    order = party_in("waiting")
    response = client.post(action_url(order, "notify"), **HTMX)
    assert response["HX-Redirect"] == login_url(host_url(restaurant))
    assert fresh(order).status == S.IN_QUEUE


def test_staff_of_another_restaurant_are_refused_and_nothing_changes(
    neighbour, restaurant, party_in
):
    order = party_in("heading_over")
    before = history()
    for method, url in staff_urls(restaurant, order):
        data = {"order": order.pk, "accepting": "closed"} if method == "post" else None
        response = getattr(neighbour, method)(url, data)
        assert response.status_code == 403, url
        assert "Your account is not on the staff of Trattoria Verde." in text_of(response), url
    assert history() == before
    restaurant.refresh_from_db()
    assert restaurant.accepting_joins is True


def test_staff_of_another_restaurant_see_the_refusal_inline_through_htmx(
    neighbour, party_in
):
    order = party_in("waiting")
    response = neighbour.post(action_url(order, "notify"), **HTMX)
    assert response.status_code == 403
    assert '<div id="flash" hx-swap-oob="true"' in response.content.decode()
    assert "Your account is not on the staff of Trattoria Verde." in text_of(response)
    assert fresh(order).status == S.IN_QUEUE


def test_screen_of_a_restaurant_that_does_not_exist_is_not_found(host):
    assert host.get("/restaurant/no-such-place/host/").status_code == 404


def test_buttons_do_nothing_when_merely_visited(host, restaurant, party_in):
    order = party_in("waiting")
    before = history()
    for method, url in staff_urls(restaurant, order):
        if method == "post":
            assert host.get(url).status_code == 405, url
    assert history() == before


def test_staff_action_sent_from_another_site_is_refused(staff_user, restaurant, party_in):
    order = party_in("waiting")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff_user)
    before = history()
    response = browser.post(action_url(order, "notify"), **HTMX)
    assert response.status_code == 403
    assert history() == before


def test_staff_action_from_the_host_stand_passes_the_forgery_check(
    staff_user, restaurant, party_in
):
    order = party_in("waiting")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff_user)
    page = browser.get(host_url(restaurant)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    response = browser.post(action_url(order, "notify"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert fresh(order).status == S.AWAITING_ARRIVAL


# ---------------------------------------------------------------------------------------
# What diners type is shown as text, never run as code


def test_a_party_named_like_a_script_is_shown_as_text_everywhere(host, client, restaurant, join):
    name = '<script>alert("x")</script>'
    order = join(name)
    pages = {
        "host stand": host.get(host_url(restaurant)),
        "notify flash": host.post(action_url(order, "notify"), **HTMX),
        "kitchen": host.get(kitchen_url(restaurant)),
        "diner page": Client().get(order.get_absolute_url()),
    }
    for where, response in pages.items():
        html = response.content.decode()
        assert "<script>alert(" not in html, where
        assert "&lt;script&gt;alert(" in html, where


def test_host_checks_in_a_party_that_arrived_before_its_table(host, restaurant, evening):
    amelia = evening["amelia"]  # heading over, due 19:10
    page = host.get(host_url(restaurant)).content.decode()
    assert f'aria-label="{amelia.customer_name} has arrived; no table yet"' in page
    response = host.post(action_url(amelia, "arrived"), **HTMX)
    assert response.status_code == 200
    assert "is here and waits for the next table" in text_of(response)
    assert "Here since" in text_of(host.get(host_url(restaurant)))
    amelia.refresh_from_db()
    assert amelia.arrived_at is not None
