"""The back office for a manager who is not a superuser: given every permission on the queue's
records, they still see and change only the rows of the restaurants they staff, and never a
party's link (its public token) or its form key. The owner (a superuser) sees every
restaurant, and even so the lists show no links.

Trattoria Verde is the manager's; Casa Azul, next door, is not."""

from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from orders import services
from orders.models import (
    DiningTable,
    MenuItem,
    Order,
    OrderEvent,
    OrderItem,
    RestaurantEvent,
    RestaurantProfile,
)

from .test_admin import form_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def evening(restaurant, other_restaurant, other_menu_item, join, staff_user, other_staff_user):
    """An evening at both restaurants: a party each, with items and events, a room event each."""
    mine = join("Priya", phone="+44 7911 123456", submission_key="form-key-priya")
    services.set_accepting_joins(restaurant.pk, False, staff_user)
    theirs = join("Lupe", at=other_restaurant, dishes={other_menu_item: 1}, submission_key="form-key-lupe")
    services.set_accepting_joins(other_restaurant.pk, False, other_staff_user)
    return mine, theirs


@pytest.fixture
def manager(staff_user):
    """Trattoria Verde's host, made a back-office user with every permission on the queue's
    records (view, add, change, delete)."""
    staff_user.is_staff = True
    staff_user.save()
    staff_user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="orders")
    )
    browser = Client()
    browser.force_login(staff_user)
    return browser


@pytest.fixture
def owner(django_user_model):
    browser = Client()
    browser.force_login(django_user_model.objects.create_superuser("owner", password="x-unused-9!"))
    return browser


def url(model, view, *args):
    return reverse(f"admin:orders_{model._meta.model_name}_{view}", args=args)


def page(response):
    return unescape(response.content.decode())


# Each record kind, with a row of each restaurant and the text that tells them apart.
def rows(model, restaurant, other_restaurant, evening):
    mine, theirs = evening
    pick = {
        RestaurantProfile: (restaurant, other_restaurant),
        DiningTable: (
            DiningTable.objects.filter(restaurant=restaurant).first(),
            DiningTable.objects.filter(restaurant=other_restaurant).first(),
        ),
        MenuItem: (
            MenuItem.objects.filter(restaurant=restaurant).first(),
            MenuItem.objects.filter(restaurant=other_restaurant).first(),
        ),
        Order: (mine, theirs),
        OrderItem: (mine.items.first(), theirs.items.first()),
        OrderEvent: (mine.events.first(), theirs.events.first()),
        RestaurantEvent: (
            RestaurantEvent.objects.filter(restaurant=restaurant).first(),
            RestaurantEvent.objects.filter(restaurant=other_restaurant).first(),
        ),
    }
    return pick[model]


MODELS = [RestaurantProfile, DiningTable, MenuItem, Order, OrderItem, OrderEvent, RestaurantEvent]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_a_manager_lists_only_their_restaurants_rows(
    manager, model, restaurant, other_restaurant, evening
):
    mine, theirs = rows(model, restaurant, other_restaurant, evening)
    listed = manager.get(url(model, "changelist"))
    assert listed.status_code == 200
    text = page(listed)
    assert url(model, "change", mine.pk) in text
    assert url(model, "change", theirs.pk) not in text
    assert "Casa Azul" not in text  # not in the rows, nor in the filters
    assert "Lupe" not in text


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_a_manager_cannot_open_another_restaurants_row_by_its_address(
    manager, model, restaurant, other_restaurant, evening
):
    mine, theirs = rows(model, restaurant, other_restaurant, evening)
    assert manager.get(url(model, "change", mine.pk)).status_code == 200
    response = manager.get(url(model, "change", theirs.pk), follow=True)
    # Django's answer for a row that does not exist: back to the index, with that message.
    assert "doesn’t exist" in response.content.decode() or response.status_code == 404
    assert "Casa Azul" not in page(response).split("doesn’t exist")[-1]
    assert manager.get(url(model, "history", theirs.pk)).status_code in (302, 404)


@pytest.mark.parametrize("model", [RestaurantProfile, MenuItem, Order], ids=lambda m: m.__name__)
def test_a_manager_cannot_change_another_restaurants_row(
    manager, model, restaurant, other_restaurant, evening, owner
):
    mine, theirs = rows(model, restaurant, other_restaurant, evening)
    # The form as the owner would send it for that row, sent by the manager.
    form = form_values(owner.get(url(model, "change", theirs.pk)))
    form["name" if model is not Order else "customer_name"] = "Hijacked"
    manager.post(url(model, "change", theirs.pk), form)
    theirs.refresh_from_db()
    assert "Hijacked" not in str(theirs)
    assert manager.post(url(model, "delete", theirs.pk), {"post": "yes"}).status_code in (302, 403, 404)
    assert model.objects.filter(pk=theirs.pk).exists()


def test_a_manager_edits_their_own_dish_and_may_only_put_it_on_their_own_restaurant(
    manager, restaurant, other_restaurant, evening
):
    dish = MenuItem.objects.filter(restaurant=restaurant, name="Tiramisu").get()
    change = manager.get(url(MenuItem, "change", dish.pk))
    assert f'<option value="{other_restaurant.pk}"' not in change.content.decode()
    form = form_values(change)
    form["price"] = "9.50"
    assert manager.post(url(MenuItem, "change", dish.pk), form).status_code == 302
    dish.refresh_from_db()
    assert str(dish.price) == "9.50"
    form["restaurant"] = str(other_restaurant.pk)  # moving it next door is refused
    response = manager.post(url(MenuItem, "change", dish.pk), form)
    assert response.status_code == 200 and "Select a valid choice" in page(response)
    dish.refresh_from_db()
    assert dish.restaurant == restaurant


def test_a_manager_cannot_add_a_restaurant_nor_choose_its_staff(manager, restaurant, evening):
    assert manager.get(url(RestaurantProfile, "add")).status_code == 403
    change = page(manager.get(url(RestaurantProfile, "change", restaurant.pk)))
    assert 'name="staff"' not in change
    assert "azul-host" not in change  # no list of every account


def test_a_manager_never_sees_a_partys_link_or_form_key(manager, evening):
    mine, _ = evening
    for response in (
        manager.get(url(Order, "changelist")),
        manager.get(url(Order, "change", mine.pk)),
        manager.get(url(OrderEvent, "changelist")),
        manager.get(url(OrderItem, "changelist")),
        manager.get(url(OrderEvent, "change", mine.events.first().pk)),
    ):
        assert response.status_code == 200
        text = page(response)
        assert mine.public_token not in text
        assert "form-key-priya" not in text
        assert "View on site" not in text
    # Nor through the admin's "view on site" redirect, which would lead to the party's page.
    order_type = ContentType.objects.get_for_model(Order)
    response = manager.get(f"/admin/r/{order_type.pk}/{mine.pk}/")
    assert response.status_code == 404
    assert mine.public_token not in response.get("Location", "")


def test_a_manager_saving_a_party_cannot_change_its_form_key(manager, evening):
    mine, _ = evening
    form = form_values(manager.get(url(Order, "change", mine.pk)))
    assert "submission_key" not in form
    form.update(customer_name="Pria", submission_key="forged")
    assert manager.post(url(Order, "change", mine.pk), form).status_code == 302
    mine.refresh_from_db()
    assert (mine.customer_name, mine.submission_key) == ("Pria", "form-key-priya")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_owner_sees_every_restaurants_rows(owner, model, restaurant, other_restaurant, evening):
    mine, theirs = rows(model, restaurant, other_restaurant, evening)
    text = page(owner.get(url(model, "changelist")))
    assert url(model, "change", mine.pk) in text
    assert url(model, "change", theirs.pk) in text


def test_the_owners_lists_show_no_links_either(owner, evening):
    mine, theirs = evening
    text = page(owner.get(url(Order, "changelist")))
    assert "Priya" in text and "Lupe" in text
    assert mine.public_token not in text and theirs.public_token not in text
