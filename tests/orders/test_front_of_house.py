"""The front of house over HTTP: the host adds a guest who walked up or phoned (and every
way of typing it wrong), the QR poster and the QR code alone, the public lobby board, seating
at another table, and the diner's and join pages where a new user stumbled.

Trattoria Verde: 4 tables of up to 8, 10 minutes' default travel, dishes required to join."""

import io
import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from orders import services
from orders.models import DiningTable, MenuItem, Order, OrderEvent, OrderStatus as S
from orders.templatetags.front import concat

pytestmark = pytest.mark.django_db


def text_of(response):
    """The page as a person reads it: tags dropped, whitespace collapsed, entities decoded."""
    body = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def is_htmx():
    return {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def host(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def call_us(restaurant):
    restaurant.phone = "0161 496 0000"
    restaurant.address = "4 Canal Street, Manchester"
    restaurant.save()
    return restaurant


def add_url(restaurant):
    return reverse("staff:add_party", args=[restaurant.slug])


def walk_up(**fields):
    form = {"customer_name": "Dana", "party_size": "4", "phone": "", "email": "", "note": "",
            "travel_minutes": "", "submission_key": "k-" + fields.pop("key", "1")}
    form.update(fields)
    return form


# ---------------------------------------------------------------------------------------
# Add party: a guest who walked up or phoned


def test_a_walk_up_joins_the_back_of_the_queue_without_dishes_marked_as_added_by_the_host(
    restaurant, menu, join, staff_user
):
    restaurant.approve_remote_joins = False
    ahead = join("Priya")
    dana = services.add_party(
        restaurant.pk, staff_user, customer_name=" Dana ", party_size=4, note="high chair",
        travel_minutes=0,
    )
    dana.refresh_from_db()
    assert (dana.status, dana.queue_position, dana.customer_name) == (S.IN_QUEUE, 2, "Dana")
    assert dana.added_by_host and not ahead.added_by_host
    assert dana.note == "high chair" and dana.items.count() == 0
    assert dana.quoted_wait_minutes is not None
    event = dana.events.get()
    assert (event.action, event.actor) == ("added_by_host", staff_user)


def test_a_party_the_host_adds_needs_no_approval_where_remote_joins_need_one(
    restaurant, menu, staff_user
):
    restaurant.approve_remote_joins = True
    restaurant.save()
    dana = services.add_party(restaurant.pk, staff_user, customer_name="Dana", party_size=2)
    assert dana.status == S.IN_QUEUE and dana.queue_position == 1


def test_the_host_is_quoted_the_same_wait_the_party_then_gets(restaurant, menu, join, staff_user, frozen_clock):
    for name in ("Ana", "Ben", "Cy", "Dee", "Eli"):
        join(name, party_size=4)
    quote = services.quote(restaurant.pk, 4, 0)
    dana = services.add_party(restaurant.pk, staff_user, customer_name="Dana", party_size=4, travel_minutes=0)
    assert (quote.position, quote.wait_minutes) == (dana.queue_position, dana.quoted_wait_minutes)
    assert quote.wait_minutes > 0


def test_adding_a_party_answers_htmx_with_its_code_link_and_qr_and_an_empty_form(
    host, restaurant, menu, queue_changes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = host.post(
            add_url(restaurant), walk_up(phone="+44 7911 123456", email="dana@example.com"), **is_htmx()
        )
    assert response.status_code == 200
    dana = Order.objects.get(customer_name="Dana")
    page = text_of(response)
    assert f"Dana ({dana.order_code}) is in the queue: #1 in line" in page
    body = response.content.decode()
    link = f"http://testserver/q/{dana.public_token}/"
    assert link in body and "<svg" in body  # the page's link, as text and as a QR code
    assert 'href="sms:+447911123456?body=' in body
    assert "mailto:dana@example.com?subject=" in body
    # The form comes back empty, with a new key, for the next guest.
    form = re.search(r'<form id="add-party-form".*?</form>', body, re.S).group(0)
    assert 'value="Dana"' not in form and 'value="k-1"' not in form
    assert queue_changes == [(restaurant.pk, (dana.pk,))]


def test_adding_a_party_without_javascript_goes_back_to_the_host_stand_with_its_link(
    host, restaurant, menu
):
    response = host.post(add_url(restaurant), walk_up())
    dana = Order.objects.get(customer_name="Dana")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/host/?added={dana.pk}#add-party")
    page = host.get(response["Location"].split("#")[0])
    assert f"/q/{dana.public_token}/" in page.content.decode()
    assert f"Dana ({dana.order_code}) is in the queue" in text_of(page)
    # Only for a party the host added: no other party's link is handed out this way.
    diner = Order.objects.create(
        restaurant=restaurant, customer_name="Priya", party_size=2, order_code="QQQQ",
        status=S.COMPLETED, joined_at=dana.joined_at,
    )
    assert diner.public_token not in host.get(f"/restaurant/{restaurant.slug}/host/?added={diner.pk}").content.decode()


def test_a_second_press_of_the_same_add_party_form_adds_the_party_once(host, restaurant, menu):
    host.post(add_url(restaurant), walk_up(), **is_htmx())
    again = host.post(add_url(restaurant), walk_up(), **is_htmx())
    assert again.status_code == 200
    assert Order.objects.filter(customer_name="Dana").count() == 1


def test_check_the_wait_shows_the_quote_and_adds_nobody(host, restaurant, menu, join):
    join("Priya")
    response = host.post(add_url(restaurant), walk_up(check="1"))
    assert response.status_code == 200
    assert re.search(r"Quote: (about \d+ min|no wait) for 4, #2 in line", text_of(response))
    assert not Order.objects.filter(customer_name="Dana").exists()
    # What was typed is still in the form, to add them next.
    assert 'value="Dana"' in response.content.decode()


def test_the_quote_follows_the_size_typed(host, restaurant, menu):
    url = reverse("staff:add_party_quote", args=[restaurant.slug])
    assert re.search(r"for 3, #1 in line", text_of(host.get(url, {"party_size": "3", "travel_minutes": ""})))
    too_big = text_of(host.get(url, {"party_size": "9"}))
    assert "The queue takes parties of up to 8" in too_big
    assert "Type the party size" in text_of(host.get(url, {"party_size": ""}))


BAD_ADDS = [
    # (what was typed, the field's message)
    ("no name", {"customer_name": ""}, "Name: Give a name to call the party by."),
    ("an invisible name", {"customer_name": "\u200b\u200b"}, "Name: A name needs at least one letter"),
    ("a name too long", {"customer_name": "D" * 81}, "A name can be at most 80 characters (this one has 81)."),
    ("no party size", {"party_size": ""}, "Party size: Say how many people are in the party."),
    ("a party of 0", {"party_size": "0"}, "Party size: A party has at least 1 person."),
    ("a size that is no number", {"party_size": "four"}, "Party size: Party size must be a whole number."),
    ("a party larger than the queue takes", {"party_size": "9"}, "The queue takes parties of up to 8"),
    ("a phone number too long", {"phone": "0" * 33}, "A phone number can be at most 32 characters (this one has 33)."),
    ("a phone with a control character", {"phone": "0161\x07"}, "Phone cannot contain control characters."),
    ("an email that is no address", {"email": "dana@"}, "That email address is not complete"),
    ("a note too long", {"note": "n" * 201}, "The note can be at most 200 characters (this one has 201)."),
    ("a note with a control character", {"note": "window\x1b"}, "The note cannot contain control characters."),
    ("minutes away below 0", {"travel_minutes": "-5"}, "Minutes away cannot be negative."),
    ("minutes away beyond 3 hours", {"travel_minutes": "181"}, "Minutes away can be at most 180."),
    ("minutes away that are no number", {"travel_minutes": "soon"}, "Minutes away must be a whole number."),
]


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain form"])
@pytest.mark.parametrize("what, typed, message", BAD_ADDS, ids=[b[0] for b in BAD_ADDS])
def test_add_party_with_bad_input_is_refused_400_with_the_fields_message_and_nothing_written(
    host, restaurant, menu, join, what, typed, message, htmx
):
    join("Priya")
    orders, events = Order.objects.count(), OrderEvent.objects.count()
    response = host.post(add_url(restaurant), walk_up(**typed), **(is_htmx() if htmx else {}))
    assert response.status_code == 400
    assert message in text_of(response)
    assert (Order.objects.count(), OrderEvent.objects.count()) == (orders, events)
    # What was typed stays in the form to be corrected.
    if htmx and "customer_name" not in typed:
        assert 'value="Dana"' in response.content.decode()


def test_every_mistake_on_add_party_is_reported_at_once(host, restaurant, menu):
    response = host.post(add_url(restaurant), walk_up(customer_name="", party_size="0", email="x"))
    page = text_of(response)
    assert response.status_code == 400
    for message in ("Give a name", "at least 1 person", "email address is not complete"):
        assert message in page


def test_a_party_larger_than_the_largest_table_is_refused_in_the_hosts_words(host, restaurant, menu):
    DiningTable.objects.filter(restaurant=restaurant).update(seats=4)
    response = host.post(add_url(restaurant), walk_up(party_size="6"), **is_htmx())
    assert response.status_code == 400
    assert "The largest table seats 4: a party of 6 cannot be seated from the queue." in text_of(response)


def test_a_closed_queue_refuses_the_host_too_and_says_how_to_open_it(host, restaurant, menu):
    restaurant.accepting_joins = False
    restaurant.save()
    response = host.post(add_url(restaurant), walk_up(), **is_htmx())
    assert response.status_code == 409
    assert "open it first" in text_of(response)
    assert not Order.objects.exists()


def test_only_the_restaurants_staff_may_add_a_party(client, restaurant, menu, other_staff_user):
    anonymous = client.post(add_url(restaurant), walk_up())
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    client.force_login(other_staff_user)
    assert client.post(add_url(restaurant), walk_up()).status_code == 403
    assert not Order.objects.exists()


def test_the_add_party_form_lives_outside_every_pushed_piece(host, restaurant, menu):
    from live_queue.screens import render_host
    from orders.selectors import queue_snapshot

    page = host.get(reverse("staff:host", args=[restaurant.slug])).content.decode()
    assert 'id="add-party-form"' in page
    pushed = render_host(queue_snapshot(restaurant), [25])[25].whole()
    assert "add-party" not in pushed


# ---------------------------------------------------------------------------------------
# The host stand's rows


def test_heading_over_rows_show_the_expected_table_and_seat_at_another_that_fits(
    host, restaurant, menu, join, staff_user
):
    DiningTable.objects.filter(restaurant=restaurant, number=1).update(seats=2)
    priya = join("Priya", party_size=2)
    services.notify_party(priya.pk, staff_user)
    page = host.get(reverse("staff:host", args=[restaurant.slug])).content.decode()
    row = re.search(rf'<li id="heading-{priya.pk}".*?</li>\s*$', page, re.S | re.M).group(0)
    assert re.search(r"expected at <strong[^>]*>table 1</strong>", row)
    assert ">Seat at T1</button>" in row
    assert ">T2 (8 seats)</button>" in row and ">T4 (8 seats)</button>" in row
    table_3 = DiningTable.objects.get(restaurant=restaurant, number=3)
    response = host.post(
        reverse("staff:order_action", args=[restaurant.slug, priya.pk, "seat"]),
        {"table": table_3.pk}, **is_htmx(),
    )
    assert response.status_code == 200
    assert f"is seated at table 3" in text_of(response)
    assert Order.objects.get(pk=priya.pk).table == table_3


def test_seating_at_a_table_that_is_taken_or_too_small_is_refused(host, restaurant, menu, join, staff_user):
    DiningTable.objects.filter(restaurant=restaurant, number=1).update(seats=2)
    jonas = join("Jonas", party_size=4)
    services.notify_party(jonas.pk, staff_user)
    table_1 = DiningTable.objects.get(restaurant=restaurant, number=1)
    url = reverse("staff:order_action", args=[restaurant.slug, jonas.pk, "seat"])
    response = host.post(url, {"table": table_1.pk}, **is_htmx())
    assert response.status_code == 409
    assert "Table 1 seats 2: too small for Jonas" in text_of(response)
    assert host.post(url, {"table": "one"}, **is_htmx()).status_code == 400
    assert Order.objects.get(pk=jonas.pk).status == S.AWAITING_ARRIVAL


def test_remove_sits_apart_from_notify_and_asks_first(host, restaurant, menu, join):
    priya = join("Priya")
    page = host.get(reverse("staff:host", args=[restaurant.slug])).content.decode()
    row = re.search(rf'<li id="queue-{priya.pk}".*?</li>', page, re.S).group(0)
    confirm = re.search(r'<details id="remove-queue-\d+" hx-preserve="true".*?</details>', row, re.S).group(0)
    assert "Remove…" in confirm and ">Yes, remove</button>" in confirm
    assert ">Notify</button>" not in confirm  # Notify is outside the confirmation
    assert ">Remove</button>" not in row  # no one-press removal


def test_walk_in_buttons_are_named_with_their_table_for_screen_readers(host, restaurant, staff_user):
    table_4 = DiningTable.objects.get(restaurant=restaurant, number=4)
    services.seat_walk_in(restaurant.pk, staff_user, table_id=table_4.pk)
    page = host.get(reverse("staff:host", args=[restaurant.slug])).content.decode()
    assert 'aria-label="Seat a walk-in at table 1"' in page
    assert 'aria-label="The walk-in at table 4 left"' in page
    assert 'aria-label=" left"' not in page


def test_concat_joins_text_and_numbers_where_add_gave_nothing():
    assert concat("Seat a walk-in at table ", 4) == "Seat a walk-in at table 4"
    assert concat("Place ", "12") == "Place 12"


@pytest.mark.parametrize("auto, due, says", [
    (False, 0, "You tell each party when to head over: press Notify."),
    (False, 1, "1 party is due now (highlighted)."),
    (True, 0, "ReadyTable tells each party when to head over."),
])
def test_the_host_stand_says_in_plain_words_who_tells_parties_to_come(host, restaurant, menu, join, auto, due, says):
    restaurant.auto_notify = auto
    restaurant.save()
    if due:
        join("Priya", dishes={"tiramisu": 1})  # four free tables, a quick dish: due at once
    page = text_of(host.get(reverse("staff:host", args=[restaurant.slug])))
    assert says in page
    assert "to notify now" not in page


# ---------------------------------------------------------------------------------------
# The QR poster and the QR code alone


def test_the_poster_shows_name_scan_line_qr_link_and_wait_for_staff_only(
    client, host, restaurant, call_us, menu, other_staff_user
):
    url = reverse("staff:poster", args=[restaurant.slug])
    response = host.get(url)
    body = response.content.decode()
    page = text_of(response)
    assert response.status_code == 200
    assert "Trattoria Verde Scan to join the queue" in page
    assert "http://testserver/r/trattoria-verde/" in page
    assert re.search(r"Wait now: (no wait|about \d+ min)", page)
    assert '<svg role="img"' in body and 'class="qr-code"' in body
    assert 'data-paper="a4"' in body and 'data-paper="letter"' in host.get(url, {"paper": "letter"}).content.decode()
    # No inline script or style: the Content-Security-Policy allows neither.
    assert not re.search(r"<script(?![^>]*\bsrc=)", body) and " style=" not in body
    other = Client()
    other.force_login(other_staff_user)
    assert other.get(url).status_code == 403


def test_the_qr_code_alone_downloads_as_svg_and_as_png_that_decode_to_the_join_link(host, restaurant):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    svg = host.get(reverse("staff:poster_qr_svg", args=[restaurant.slug]))
    assert svg["Content-Type"] == "image/svg+xml"
    assert svg["Content-Disposition"] == 'attachment; filename="trattoria-verde-join-queue-qr.svg"'
    assert svg.content.lstrip().startswith(b"<?xml") and b"<svg" in svg.content
    png = host.get(reverse("staff:poster_qr_png", args=[restaurant.slug]))
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert [code.text for code in found] == ["http://testserver/r/trattoria-verde/"]


# ---------------------------------------------------------------------------------------
# The lobby board


def test_the_lobby_board_is_public_and_shows_codes_and_waits_never_names_phones_or_dishes(
    client, restaurant, menu, join, staff_user
):
    priya = join("Priya", phone="+44 7911 123456")
    jonas = join("Jonas", email="jonas@example.com")
    services.notify_party(priya.pk, staff_user)
    response = client.get(reverse("diner:board", args=[restaurant.slug]))
    assert response.status_code == 200
    body = response.content.decode()
    page = text_of(response)
    assert f'id="called-{priya.order_code}"' in body and jonas.order_code not in body
    assert "Head over now" in page and "1 party waiting" in page
    assert re.search(r"Up to 8 people (No wait|\d+ min)", page)
    assert "Scan to join the queue" in page and "<svg" in body
    for secret in ("Priya", "Jonas", "7911", "jonas@example.com", "Margherita", priya.public_token):
        assert secret not in body
    assert client.get(reverse("diner:board", args=["nowhere"])).status_code == 404


def test_a_closed_queue_says_so_on_the_board(client, restaurant):
    restaurant.accepting_joins = False
    restaurant.save()
    response = client.get(reverse("diner:board", args=[restaurant.slug]))
    assert 'data-open="false"' in response.content.decode()
    assert "The queue is closed right now" in text_of(response)


# ---------------------------------------------------------------------------------------
# The diner's pages


def test_the_join_and_diner_pages_show_the_address_phone_and_map(client, restaurant, call_us, join):
    for response in (client.get(restaurant.get_absolute_url()), client.get(join().get_absolute_url())):
        body = response.content.decode()
        assert "4 Canal Street, Manchester" in body
        assert 'href="tel:01614960000"' in body and "Call 0161 496 0000" in text_of(response)
        assert "https://www.openstreetmap.org/search?query=4+Canal+Street%2C+Manchester" in body
    restaurant.map_url = "https://maps.example.com/trattoria"
    restaurant.save()
    assert 'href="https://maps.example.com/trattoria"' in client.get(restaurant.get_absolute_url()).content.decode()


def test_please_call_the_restaurant_always_comes_with_its_number(call_us, restaurant, menu, join):
    with pytest.raises(services.InvalidJoin) as refusal:
        join(party_size=9)
    assert "please call Trattoria Verde on 0161 496 0000" in refusal.value.errors["party_size"]


def test_once_the_kitchen_starts_the_food_leaving_is_a_call_with_the_number(
    client, restaurant, call_us, menu, join, staff_user
):
    priya = join("Priya")
    services.notify_party(priya.pk, staff_user)
    services.start_preparing(priya.pk, staff_user)
    page = client.get(priya.get_absolute_url())
    says = "You can no longer leave the queue from this page: the kitchen has already started your food."
    assert says in text_of(page) and "please call Trattoria Verde on 0161 496 0000" in text_of(page)
    assert ">Leave the queue<" not in page.content.decode()
    leave = reverse("diner:leave", args=[priya.public_token])
    asked = client.get(leave)
    assert asked.status_code == 409 and says in text_of(asked)
    refused = client.post(leave)
    assert refused.status_code == 409 and "0161 496 0000" in text_of(refused)
    assert Order.objects.get(pk=priya.pk).status == S.PREPARING


def test_a_waiting_party_whose_food_the_kitchen_started_early_cannot_leave_from_its_page(
    client, restaurant, menu, join, staff_user
):
    priya = join("Priya")
    services.start_preparing(priya.pk, staff_user)  # still in the queue
    with pytest.raises(services.IllegalTransition, match="already started your food"):
        services.leave_queue(priya.pk)
    assert "please ask Trattoria Verde's host" in text_of(client.get(priya.get_absolute_url()))


def test_the_diner_page_refreshes_itself_without_javascript_and_says_so(client, join):
    body = client.get(join().get_absolute_url()).content.decode()
    assert re.search(r'<noscript><meta http-equiv="refresh" content="30"></noscript>', body)
    assert "cannot update by itself without JavaScript" in body


def test_alert_me_comes_before_leave_the_queue(client, join):
    body = client.get(join().get_absolute_url()).content.decode()
    assert body.index("Alert me when it's time") < body.index("Leave the queue")


def test_on_the_leave_page_keeping_the_place_is_the_filled_button(client, join):
    body = client.get(reverse("diner:leave", args=[join().public_token])).content.decode()
    keep = re.search(r'<a [^>]*>No, keep my place</a>', body).group(0)
    leave = re.search(r'<button [^>]*>Yes, leave the queue</button>', body).group(0)
    assert "bg-emerald-700" in keep and " bg-red-7" not in leave and "border-red" in leave


def test_saving_the_travel_time_is_confirmed_beside_the_form(client, join):
    priya = join()
    url = reverse("diner:travel", args=[priya.public_token])
    htmx = client.post(url, {"travel_minutes": "12"}, **is_htmx())
    assert "Saved. We'll tell you to head over in time for your 12-minute trip." in text_of(htmx)
    plain = client.post(url, {"travel_minutes": "15"}, follow=True)
    form = re.search(r'<form id="travel-form".*?</form>', plain.content.decode(), re.S).group(0)
    assert "Saved." in form and "15-minute trip" in form


def test_the_join_page_groups_dishes_by_course(client, restaurant, menu):
    MenuItem.objects.filter(pk=menu["salad"].pk).update(course="STARTER")
    MenuItem.objects.filter(pk=menu["tiramisu"].pk).update(course="DESSERT")
    page = text_of(client.get(restaurant.get_absolute_url()))
    assert page.index("Starters Burrata salad") < page.index("Mains") < page.index("Margherita pizza")
    assert page.index("Mushroom risotto") < page.index("Desserts Tiramisu")
    assert "Join the queue" in page and "Total" in page


def test_the_join_form_reports_every_mistake_at_once(client, restaurant, menu):
    response = client.post(restaurant.get_absolute_url(), {"customer_name": "", "party_size": "0"})
    page = text_of(response)
    assert response.status_code == 400
    assert "Your name: Please tell us a name to call you by." in page
    assert "Party size: A party has at least 1 person." in page
    assert "Please choose at least one dish" in page
    assert not Order.objects.exists()


# ---------------------------------------------------------------------------------------
# Every page: one h1; the friendly 404 with DEBUG on


def test_every_page_has_exactly_one_h1(client, host, restaurant, menu, join, staff_user):
    priya = join("Priya")
    staff_pages = [
        reverse("staff:host", args=[restaurant.slug]),
        reverse("staff:kitchen", args=[restaurant.slug]),
        reverse("staff:poster", args=[restaurant.slug]),
    ]
    public_pages = [
        restaurant.get_absolute_url(),
        priya.get_absolute_url(),
        reverse("diner:leave", args=[priya.public_token]),
        reverse("diner:board", args=[restaurant.slug]),
        "/q/no-such-link-at-all-1234/",
    ]
    anonymous = Client()
    pages = [(url, host.get(url)) for url in staff_pages]
    pages += [(url, anonymous.get(url, follow=True)) for url in public_pages + [reverse("staff:login"), "/"]]
    for url, response in pages:
        assert len(re.findall(r"<h1\b", response.content.decode())) == 1, url


def test_with_debug_on_an_unknown_diner_link_shows_the_friendly_not_found_page(client, settings):
    settings.DEBUG = True
    response = client.get("/q/no-such-link-at-all-1234/")
    assert response.status_code == 404
    page = text_of(response)
    assert "Not found" in page and "No party in any queue has this link" in page
    assert "URLconf" not in page and "Page not found (404)" not in page
