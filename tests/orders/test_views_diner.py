"""The diner's side over HTTP: finding a restaurant, joining its queue from the phone with an
order, watching the tracking page, and leaving. Every refusal is a clear message with a 4xx
status and leaves no half-made order behind.

Trattoria Verde (4 tables, parties of up to 8, an order required): pizza 14.50, risotto 17.00,
salad 12.00, tiramisu 8.00."""

import re
import uuid
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from orders import selectors, services
from orders.models import MenuItem, Order, OrderEvent, OrderItem, OrderStatus, RestaurantProfile

S = OrderStatus

pytestmark = pytest.mark.django_db


def restaurant_url(restaurant):
    return reverse("diner:restaurant", args=[restaurant.slug])


def join_form(menu, dishes=None, **fields):
    """What the join form sends: one pizza for a party of two unless told otherwise."""
    data = {
        "customer_name": "Priya",
        "party_size": "2",
        "phone": "",
        "email": "",
        "travel_minutes": "",
        "submission_key": uuid.uuid4().hex,
    }
    dishes = {"pizza": 1} if dishes is None else dishes
    for dish, quantity in dishes.items():
        item = menu[dish] if isinstance(dish, str) else dish
        data[f"item-{item.pk}-qty"] = str(quantity)
    data.update(fields)
    return data


def everything_written():
    """Orders, their lines and their log: a refused join must leave all three untouched."""
    return Order.objects.count(), OrderItem.objects.count(), OrderEvent.objects.count()


def text_of(response):
    """The page as a person reads it: tags dropped, whitespace collapsed, entities decoded."""
    from html import unescape

    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip()


class FormFields(HTMLParser):
    """Collects the inputs of a page and the text of the labels pointing at them."""

    def __init__(self):
        super().__init__()
        self.inputs, self.labels, self._label_for, self._label_text = [], {}, None, []
        self.forms = []  # (method, [input names]) per form

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(((attrs.get("method") or "get").lower(), []))
        if tag in ("input", "select", "textarea"):
            self.inputs.append(attrs)
            if self.forms:
                self.forms[-1][1].append(attrs.get("name"))
        if tag == "label":
            self._label_for, self._label_text = attrs.get("for"), []

    def handle_data(self, data):
        if self._label_for is not None:
            self._label_text.append(data)

    def handle_endtag(self, tag):
        if tag == "label" and self._label_for is not None:
            self.labels[self._label_for] = " ".join("".join(self._label_text).split())
            self._label_for = None


def parse_fields(response):
    parser = FormFields()
    parser.feed(response.content.decode())
    return parser


# ---------------------------------------------------------------------------------------
# Finding a restaurant


def test_with_one_restaurant_home_goes_straight_to_its_page(client, restaurant):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == restaurant_url(restaurant)


def test_with_several_restaurants_home_lists_them_with_their_queues(
    client, restaurant, other_restaurant, join
):
    join("Priya")
    join("Jonas")
    response = client.get("/")
    assert response.status_code == 200
    page = text_of(response)
    assert "Trattoria Verde 2 parties waiting" in page
    assert "Casa Azul 0 parties waiting" in page
    assert f'href="{restaurant_url(other_restaurant)}"' in response.content.decode()


def test_restaurants_not_taking_sign_ups_are_not_listed(client, restaurant, other_restaurant):
    other_restaurant.accepting_joins = False
    other_restaurant.save()
    page = text_of(client.get("/"))
    assert "Trattoria Verde" in page
    assert "Casa Azul" not in page


def test_home_says_so_when_no_restaurant_takes_sign_ups(client, restaurant, other_restaurant):
    RestaurantProfile.objects.update(accepting_joins=False)
    response = client.get("/")
    assert response.status_code == 200
    assert "No restaurant is taking queue sign-ups right now" in text_of(response)


def test_unknown_restaurant_is_not_found(client, restaurant):
    response = client.get("/r/no-such-place/")
    assert response.status_code == 404
    assert "There is no restaurant at this address." in text_of(response)
    assert "See the restaurants" in text_of(response)


def test_unknown_address_says_so_in_plain_words(client, restaurant):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = text_of(response)
    assert "There is nothing at this address." in page
    assert "Resolver404" not in page


# ---------------------------------------------------------------------------------------
# The restaurant's page


def test_restaurant_page_shows_menu_wait_and_parties_waiting(client, restaurant, menu, join):
    for name in ["Priya", "Jonas", "Amelia"]:
        join(name)
    page = text_of(client.get(restaurant_url(restaurant)))
    assert "Trattoria Verde" in page
    for dish, price in [
        ("Margherita pizza", "14.50"),
        ("Mushroom risotto", "17.00"),
        ("Burrata salad", "12.00"),
        ("Tiramisu", "8.00"),
    ]:
        assert f"{dish} ${price}" in page
    # The wait a new party would be quoted, as the domain works it out (tested there).
    wait = selectors.queue_snapshot(restaurant).next_joiner_wait
    assert f"Wait for a table {'No wait' if wait == 0 else f'{wait} min'}" in page
    assert "In the queue 3 parties" in page


def test_restaurant_page_quotes_minutes_when_every_table_is_taken(
    client, restaurant, menu, join, staff_user, frozen_clock
):
    for name in ["Oliveira", "Haddad", "Nakamura", "Brennan"]:
        party = join(name)
        services.notify_party(party.pk, staff_user)
        services.seat_party(party.pk, staff_user)
    page = text_of(client.get(restaurant_url(restaurant)))
    wait = selectors.queue_snapshot(restaurant).next_joiner_wait
    assert wait > 0
    assert f"Wait for a table {wait} min" in page
    assert "In the queue 0 parties" in page


def test_dishes_taken_off_tonight_are_not_offered(client, restaurant, menu):
    MenuItem.objects.filter(pk=menu["risotto"].pk).update(available=False)
    page = text_of(client.get(restaurant_url(restaurant)))
    assert "Margherita pizza" in page
    assert "Mushroom risotto" not in page


def test_every_field_of_the_join_form_has_a_visible_label(client, restaurant, menu):
    response = client.get(restaurant_url(restaurant))
    fields = parse_fields(response)
    visible = [i for i in fields.inputs if i.get("type") != "hidden"]
    assert {i["name"] for i in visible} >= {
        "customer_name",
        "party_size",
        "phone",
        "email",
        f"item-{menu['pizza'].pk}-qty",
        f"item-{menu['pizza'].pk}-note",
    }
    for field in visible:
        assert fields.labels.get(field["id"]), f"{field['name']} has no visible label"
    assert fields.labels["id_customer_name"] == "Your name"
    assert fields.labels["id_party_size"] == "Party size"
    # Each quantity box says which dish it is for.
    assert "Margherita pizza" in fields.labels[f"item-{menu['pizza'].pk}-qty"]
    assert "Join the queue" in text_of(response)


def test_closed_restaurant_says_so_instead_of_the_form(client, restaurant, menu):
    restaurant.accepting_joins = False
    restaurant.save()
    response = client.get(restaurant_url(restaurant))
    assert response.status_code == 200
    page = text_of(response)
    assert "The queue is closed" in page
    assert "Trattoria Verde is not taking new parties right now" in page
    assert "Join the queue" not in page
    assert 'name="customer_name"' not in response.content.decode()


# ---------------------------------------------------------------------------------------
# Joining


def test_joining_takes_the_party_to_its_own_tracking_page(client, restaurant, menu):
    response = client.post(restaurant_url(restaurant), join_form(menu))
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/q/{order.public_token}/"
    assert order.customer_name == "Priya"
    assert order.status == S.IN_QUEUE
    assert len(order.public_token) >= 22  # 128 random bits: unguessable, not an id


def test_tracking_page_shows_code_place_wait_order_and_total(
    client, restaurant, menu, join, frozen_clock
):
    join("Jonas")
    response = client.post(
        restaurant_url(restaurant),
        join_form(
            menu,
            {"pizza": 2, "tiramisu": 1},
            **{f"item-{menu['pizza'].pk}-note": "no basil"},
            customer_name="Priya",
            party_size="3",
        ),
        follow=True,
    )
    order = Order.objects.get(customer_name="Priya")
    assert response.status_code == 200
    page = text_of(response)
    assert f"Your code {order.order_code}" in page
    assert "Priya · party of 3" in page
    assert "Your place #2 1 party ahead" in page
    # The page shows the estimate the domain works out for this party (tested there).
    wait = selectors.diner_view(order.public_token).estimated_wait_minutes
    assert f"Seated in about {'Any minute' if wait == 0 else f'{wait} min'}" in page
    assert f"You were told {order.quoted_wait_minutes} min" in page
    assert "2 × Margherita pizza “no basil” $29.00" in page
    assert "1 × Tiramisu $8.00" in page
    assert "Total $37.00" in page
    assert "Leave the queue" in page


def test_party_may_join_without_food_where_ordering_ahead_is_optional(
    client, restaurant, menu
):
    restaurant.order_required = False
    restaurant.save()
    response = client.post(restaurant_url(restaurant), join_form(menu, {}), follow=True)
    assert response.status_code == 200
    assert "No food ordered ahead" in text_of(response)
    assert Order.objects.get().items.count() == 0


def test_the_same_dish_typed_with_spaces_counts(client, restaurant, menu):
    response = client.post(restaurant_url(restaurant), join_form(menu, {"salad": " 2 "}))
    assert response.status_code == 302
    assert Order.objects.get().items.get().quantity == 2


def test_tracking_page_of_an_unknown_link_is_not_found(client, restaurant, join):
    join()
    response = client.get("/q/not-a-real-token/")
    assert response.status_code == 404
    assert "No party in any queue has this link" in text_of(response)


def test_tracking_page_only_answers_reads(client, join):
    order = join()
    response = client.post(order.get_absolute_url())
    assert response.status_code == 405


def test_notified_party_is_told_to_head_over_on_its_page(client, join, staff_user, frozen_clock):
    order = join(travel_minutes=15)
    services.notify_party(order.pk, staff_user)
    page = text_of(client.get(order.get_absolute_url()))
    assert "Head over now" in page
    assert "please be there by 19:15" in page
    assert "Your place" not in page


@pytest.mark.parametrize(
    "ending, message",
    [
        ("cancel", "You're no longer in the queue"),
        ("no_show", "We missed you"),
        ("seat", "You're seated — enjoy your meal!"),
        ("complete", "Thanks for dining with us"),
    ],
)
def test_party_whose_evening_moved_on_sees_where_it_stands(
    client, join, staff_user, ending, message
):
    order = join()
    if ending == "cancel":
        services.leave_queue(order.pk)
    else:
        services.notify_party(order.pk, staff_user)
        if ending == "no_show":
            services.mark_no_show(order.pk, staff_user)
        else:
            services.seat_party(order.pk, staff_user)
            if ending == "complete":
                services.complete_party(order.pk, staff_user)
    page = text_of(client.get(order.get_absolute_url()))
    assert message in page
    assert "Leave the queue" not in page


# ---------------------------------------------------------------------------------------
# Bad input on the join form: a clear message, a 4xx, and nothing written


def _item(menu, key):
    return f"item-{menu[key].pk}-qty"


BAD_JOINS = [
    # (what the diner did, form overrides, dishes, status, message)
    ("a party of zero", {"party_size": "0"}, None, 400, "A party has at least 1 person."),
    (
        "a party of 500",
        {"party_size": "500"},
        None,
        400,
        "seats parties of up to 8 through the queue",
    ),
    ("a party size that is not a number", {"party_size": "x"}, None, 400, "Party size must be a whole number."),
    ("no name", {"customer_name": "   "}, None, 400, "Please tell us a name to call you by."),
    ("a negative quantity", {}, {"pizza": -1}, 400, "Quantities cannot be negative."),
    ("a quantity that is not a number", {}, {"pizza": "abc"}, 400, "Quantities must be whole numbers."),
    ("a quantity of 51", {}, {"pizza": 51}, 400, "At most 50 of one dish per order."),
    ("no dish at all", {}, {}, 400, "Please choose at least one dish"),
    ("only zero quantities", {}, {"pizza": 0, "salad": 0}, 400, "Please choose at least one dish"),
    (
        "a dish that does not exist",
        {"item-987654-qty": "1"},
        {},
        400,
        "not on this restaurant's menu",
    ),
    (
        "a dish id far beyond any database's integers",
        {"item-99999999999999999999999999-qty": "1"},
        {},
        400,
        "not on this restaurant's menu",
    ),
    ("an email that is not one", {"email": "priya-at-home"}, None, 400, "Enter a valid email address."),
    ("a name too long to call out", {"customer_name": "P" * 81}, None, 400, "at most 80 characters"),
    (
        "an impossible travel time",
        {"travel_minutes": "999"},
        None,
        400,
        "Travel time must be between 0 and 180 minutes.",
    ),
    (
        "a kitchen note with a NUL byte",
        {"__note__": "no\x00basil"},
        None,
        400,
        "Notes for the kitchen cannot contain null characters.",
    ),
    (
        "a tampered form key",
        {"submission_key": "k" * 65},
        None,
        400,
        "This form has expired or was changed; please reload the page and send it again.",
    ),
]


@pytest.mark.parametrize(
    "overrides, dishes, status, message",
    [case[1:] for case in BAD_JOINS],
    ids=[case[0] for case in BAD_JOINS],
)
def test_bad_join_is_refused_with_a_clear_message_and_nothing_written(
    client, restaurant, menu, join, overrides, dishes, status, message
):
    join("Jonas")  # someone already waiting, so "nothing written" is not trivially true
    before = everything_written()
    overrides = dict(overrides)
    if "__note__" in overrides:
        overrides[f"item-{menu['pizza'].pk}-note"] = overrides.pop("__note__")
    response = client.post(restaurant_url(restaurant), join_form(menu, dishes, **overrides))
    assert response.status_code == status
    assert message in text_of(response)
    assert everything_written() == before
    # The diner gets the form back to fix it, not a dead end.
    assert "Join the queue" in text_of(response)


def test_dish_from_the_restaurant_next_door_is_refused(
    client, restaurant, menu, other_menu_item
):
    before = everything_written()
    response = client.post(restaurant_url(restaurant), join_form(menu, {other_menu_item: 1}))
    assert response.status_code == 400
    assert "not on this restaurant's menu" in text_of(response)
    assert everything_written() == before


def test_refused_form_keeps_what_the_diner_typed(client, restaurant, menu):
    response = client.post(
        restaurant_url(restaurant),
        join_form(
            menu,
            {"salad": 2},
            **{f"item-{menu['salad'].pk}-note": "dressing aside"},
            customer_name="Amelia",
            party_size="0",
        ),
    )
    assert response.status_code == 400
    fields = {i.get("name"): i.get("value") for i in parse_fields(response).inputs}
    assert fields["customer_name"] == "Amelia"
    assert fields[_item(menu, "salad")] == "2"
    assert fields[f"item-{menu['salad'].pk}-note"] == "dressing aside"


def test_join_to_a_closed_queue_is_refused(client, restaurant, menu):
    form_sent_while_open = join_form(menu)
    restaurant.accepting_joins = False
    restaurant.save()
    response = client.post(restaurant_url(restaurant), form_sent_while_open)
    assert response.status_code == 409
    assert "Trattoria Verde is not taking new parties in the queue right now." in text_of(response)
    assert everything_written() == (0, 0, 0)


def test_form_sent_twice_makes_one_party_and_points_to_it(client, restaurant, menu):
    form = join_form(menu)
    first = client.post(restaurant_url(restaurant), form)
    assert first.status_code == 302
    written = everything_written()

    second = client.post(restaurant_url(restaurant), form)
    order = Order.objects.get()
    assert second.status_code == 409
    assert f"This form was already sent: you are in the queue as {order.order_code}." in text_of(
        second
    )
    assert f'href="{order.get_absolute_url()}"' in second.content.decode()
    assert everything_written() == written


def test_join_form_only_answers_reads_and_joins(client, restaurant, menu):
    response = client.put(restaurant_url(restaurant))
    assert response.status_code == 405


# ---------------------------------------------------------------------------------------
# Leaving


def test_leave_button_asks_before_anything_happens(client, join):
    order = join()
    response = client.get(reverse("diner:leave", args=[order.public_token]))
    assert response.status_code == 200
    page = text_of(response)
    assert "Leave the queue?" in page
    assert f"You'll lose your place (#1) at Trattoria Verde and your order {order.order_code}" in page
    assert "Yes, leave the queue" in page
    assert "No, keep my place" in page
    order.refresh_from_db()
    assert order.status == S.IN_QUEUE


def test_leaving_cancels_the_party_and_the_party_behind_moves_up(client, join):
    priya, jonas = join("Priya"), join("Jonas")
    response = client.post(reverse("diner:leave", args=[priya.public_token]), follow=True)
    assert response.status_code == 200
    page = text_of(response)
    assert "You have left the queue" in page
    assert "You're no longer in the queue" in page
    priya.refresh_from_db()
    jonas.refresh_from_db()
    assert priya.status == S.CANCELLED
    assert jonas.queue_position == 1
    assert "Your place #1 You're next" in text_of(client.get(jonas.get_absolute_url()))


def test_leaving_twice_is_refused_with_a_message(client, join):
    order = join()
    url = reverse("diner:leave", args=[order.public_token])
    client.post(url)
    events = OrderEvent.objects.count()
    response = client.post(url)
    assert response.status_code == 409
    assert f"Priya ({order.order_code}) is already cancelled." in text_of(response)
    assert OrderEvent.objects.count() == events


def test_seated_party_cannot_leave_the_queue(client, join, staff_user):
    order = join()
    services.notify_party(order.pk, staff_user)
    services.seat_party(order.pk, staff_user)
    url = reverse("diner:leave", args=[order.public_token])
    confirm = client.get(url)
    assert confirm.status_code == 302
    assert confirm["Location"] == order.get_absolute_url()
    response = client.post(url)
    assert response.status_code == 409
    assert "the party is seated" in text_of(response)
    order.refresh_from_db()
    assert order.status == S.READY


@pytest.mark.parametrize("method", ["get", "post"])
def test_leaving_with_an_unknown_link_is_not_found(client, join, method):
    join()
    response = getattr(client, method)("/q/not-a-real-token/leave/")
    assert response.status_code == 404
    assert Order.objects.get().status == S.IN_QUEUE


# ---------------------------------------------------------------------------------------
# Forgery protection


def csrf_token_in(response):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[1]


def test_join_sent_from_another_site_is_refused(restaurant, menu):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(restaurant_url(restaurant), join_form(menu))
    assert response.status_code == 403
    assert "This form has expired or was sent from somewhere else" in text_of(response)
    assert everything_written() == (0, 0, 0)


def test_join_from_the_restaurants_own_page_passes_the_forgery_check(restaurant, menu):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(restaurant_url(restaurant))
    form = join_form(menu, csrfmiddlewaretoken=csrf_token_in(page))
    assert browser.post(restaurant_url(restaurant), form).status_code == 302
    assert Order.objects.count() == 1


def test_leave_sent_from_another_site_is_refused(join):
    order = join()
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(reverse("diner:leave", args=[order.public_token]))
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == S.IN_QUEUE


def test_every_diner_form_carries_a_forgery_token(client, restaurant, menu, join):
    order = join()
    for url in [restaurant_url(restaurant), reverse("diner:leave", args=[order.public_token])]:
        forms = parse_fields(client.get(url)).forms
        posting = [names for method, names in forms if method == "post"]
        assert posting, url
        for names in posting:
            assert "csrfmiddlewaretoken" in names, url
