"""The host stand's "Room and timing" form over HTTP: a save takes effect and hands back the
form as saved; a form that another screen's save has overtaken saves nothing (it would
silently undo that save) and comes back showing what is saved; bad input is refused with
what the host typed left in place.

The form is the managers': hosts and the kitchen see no such section and their saves are
refused.

Trattoria Verde: 4 tables seating up to 8, a 10-minute grace period, auto notify off."""

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import DiningTable, RestaurantEvent, RestaurantProfile

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


class RoomForm(HTMLParser):
    """The fields of the page's Room and timing form, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.inside = False
        self.found = False
        self.oob = False
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "room-settings-form":
            self.inside = self.found = True
            self.oob = attrs.get("hx-swap-oob") == "true"
        elif tag == "input" and self.inside and attrs.get("name"):
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.fields[attrs["name"]] = "on"
            else:
                self.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def room_form(response):
    parser = RoomForm()
    parser.feed(response.content.decode())
    return parser


def opened_form(browser, restaurant):
    """The form's fields as the host stand shows them on opening the page."""
    page = browser.get(reverse("staff:host", args=[restaurant.slug]))
    assert page.status_code == 200
    form = room_form(page)
    assert form.found
    return dict(form.fields)


def save(browser, restaurant, fields, **headers):
    return browser.post(reverse("staff:room_settings", args=[restaurant.slug]), fields, **headers)


def logged_in(user):
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def manager(manager_user):
    return logged_in(manager_user)


@pytest.fixture
def second_screen(manager_user):
    """The same restaurant's host stand open on another screen (the manager's tablet)."""
    return logged_in(manager_user)


def settings_of(restaurant):
    restaurant.refresh_from_db()
    tables = sorted(DiningTable.objects.filter(restaurant=restaurant).values_list("seats", flat=True))
    return restaurant.arrival_grace_minutes, restaurant.auto_notify, tables


def test_form_shows_the_room_as_saved(manager, restaurant):
    fields = opened_form(manager, restaurant)
    assert fields["tables-8"] == "4"
    assert fields["arrival_grace_minutes"] == "10"
    assert "auto_notify" not in fields  # unchecked
    assert fields["seen"]


def test_a_save_takes_effect_and_the_same_page_can_save_again(manager, restaurant):
    fields = opened_form(manager, restaurant)
    response = save(manager, restaurant, {**fields, "arrival_grace_minutes": "15"}, **HTMX)
    assert response.status_code == 200
    assert "Room and timing saved." in response.content.decode()
    assert settings_of(restaurant) == (15, False, [8, 8, 8, 8])
    # The form comes back as saved, ready for the next change from the same page.
    returned = room_form(response)
    assert returned.oob
    assert returned.fields["arrival_grace_minutes"] == "15"
    assert returned.fields["seen"] != fields["seen"]

    again = save(manager, restaurant, {**returned.fields, "auto_notify": "on"}, **HTMX)
    assert again.status_code == 200
    assert settings_of(restaurant) == (15, True, [8, 8, 8, 8])


def test_a_stale_form_never_undoes_another_screens_save(manager, second_screen, restaurant):
    mine = opened_form(manager, restaurant)
    theirs = opened_form(second_screen, restaurant)
    # The manager switches automatic notification on and adds a 2-top.
    done = save(
        second_screen, restaurant,
        {**theirs, "auto_notify": "on", "new_size_seats": "2", "new_size_tables": "1"}, **HTMX,
    )
    assert done.status_code == 200
    before = settings_of(restaurant)
    assert before == (10, True, [2, 8, 8, 8, 8])
    events = RestaurantEvent.objects.count()

    # The manager, on the page opened earlier (auto notify unticked, no 2-top), lengthens the
    # grace period and saves.
    response = save(manager, restaurant, {**mine, "arrival_grace_minutes": "20"}, **HTMX)

    assert response.status_code == 409
    body = response.content.decode()
    assert "changed on another screen" in body and "nothing was saved" in body
    assert settings_of(restaurant) == before
    assert RestaurantEvent.objects.count() == events
    # The form now shows what is saved: auto notify ticked, the 2-top, the old grace period.
    current = room_form(response)
    assert current.oob
    assert current.fields["auto_notify"] == "on"
    assert current.fields["tables-2"] == "1"
    assert current.fields["arrival_grace_minutes"] == "10"
    # Making the change again on that form works.
    retry = save(manager, restaurant, {**current.fields, "arrival_grace_minutes": "20"}, **HTMX)
    assert retry.status_code == 200
    assert settings_of(restaurant) == (20, True, [2, 8, 8, 8, 8])


def test_a_stale_form_sent_without_javascript_gets_the_current_page(manager, second_screen, restaurant):
    mine = opened_form(manager, restaurant)
    save(second_screen, restaurant, {**opened_form(second_screen, restaurant), "auto_notify": "on"})
    response = save(manager, restaurant, mine)
    assert response.status_code == 409
    assert "changed on another screen" in response.content.decode()
    assert room_form(response).fields["auto_notify"] == "on"
    assert settings_of(restaurant)[1] is True


def test_bad_input_is_refused_and_what_the_host_typed_stays(manager, restaurant):
    fields = opened_form(manager, restaurant)
    response = save(manager, restaurant, {**fields, "arrival_grace_minutes": "500"}, **HTMX)
    assert response.status_code == 400
    assert "Grace period for late parties" in response.content.decode()
    # No form in the answer: the page keeps what the host typed, to correct it.
    assert not room_form(response).found
    assert settings_of(restaurant) == (10, False, [8, 8, 8, 8])


def test_a_form_without_its_fingerprint_is_refused(manager, restaurant):
    fields = opened_form(manager, restaurant)
    del fields["seen"]
    response = save(manager, restaurant, {**fields, "arrival_grace_minutes": "15"}, **HTMX)
    assert response.status_code == 400
    assert "out of date: reload the page" in response.content.decode()
    assert settings_of(restaurant)[0] == 10


def test_another_restaurants_host_cannot_change_this_room(manager, restaurant, other_staff_user):
    fields = opened_form(manager, restaurant)
    response = save(logged_in(other_staff_user), restaurant, {**fields, "arrival_grace_minutes": "30"})
    assert response.status_code in (403, 404)
    assert RestaurantProfile.objects.get(pk=restaurant.pk).arrival_grace_minutes == 10


def test_a_host_sees_no_room_and_timing_on_the_host_stand(restaurant, staff_user):
    page = logged_in(staff_user).get(reverse("staff:host", args=[restaurant.slug]))
    assert page.status_code == 200
    assert not room_form(page).found
    assert "Room and timing" not in page.content.decode()


def test_a_hosts_save_is_refused_with_the_reason_and_nothing_changes(
    manager, restaurant, staff_user
):
    fields = opened_form(manager, restaurant)
    for headers in ({}, HTMX):
        response = save(
            logged_in(staff_user), restaurant, {**fields, "arrival_grace_minutes": "30"}, **headers
        )
        assert response.status_code == 403
        assert "Only a manager of Trattoria Verde can change the room and timing" in (
            response.content.decode()
        )
    assert settings_of(restaurant) == (10, False, [8, 8, 8, 8])


def test_the_owner_changes_the_room_of_any_restaurant(manager, restaurant, django_user_model):
    fields = opened_form(manager, restaurant)
    owner = django_user_model.objects.create(username="owner", is_superuser=True)
    response = save(logged_in(owner), restaurant, {**fields, "arrival_grace_minutes": "12"}, **HTMX)
    assert response.status_code == 200
    assert settings_of(restaurant)[0] == 12
