"""The back office at /admin/: the owner can list, filter, search and open every kind of record
ReadyTable keeps, and the history of what happened to each party cannot be rewritten there."""

import re
from html import unescape
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import reverse

from orders import services
from orders.models import (
    DiningTable,
    MenuItem,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    RestaurantEvent,
    RestaurantProfile,
)

pytestmark = pytest.mark.django_db

ORDERS_MODELS = [
    model for model in admin.site._registry if model._meta.app_label == "orders"
]


class FormValues(HTMLParser):
    """What a browser would send back from the admin's form, untouched."""

    def __init__(self):
        super().__init__()
        self.values, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.values[name] = attrs.get("value", "on")
            else:
                self.values[name] = attrs.get("value", "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_values(response):
    parser = FormValues()
    parser.feed(response.content.decode())
    parser.values.pop("csrfmiddlewaretoken", None)
    return parser.values


@pytest.fixture
def owner(client, django_user_model):
    client.force_login(
        django_user_model.objects.create(username="owner", is_staff=True, is_superuser=True)
    )
    return client


@pytest.fixture
def evening(restaurant, other_restaurant, other_menu_item, join, staff_user):
    """A party seated and finished, one heading over, one waiting; the host closed the queue.
    Next door, at Casa Azul, one party waits (so there is something to filter by)."""
    join("Lupe", at=other_restaurant, dishes={other_menu_item: 1})
    done = join("Kenji", dishes={"pizza": 2})
    for step in (services.notify_party, services.seat_party, services.complete_party):
        step(done.pk, staff_user)
    services.notify_party(join("Amelia", dishes={"risotto": 1}).pk, staff_user)
    join("Priya", phone="+44 7911 123456")
    services.set_accepting_joins(restaurant.pk, False, staff_user)
    return done


def admin_url(model, view, *args):
    return reverse(f"admin:orders_{model._meta.model_name}_{view}", args=args)


def filter_links(page):
    """The querystrings of every choice in the changelist's filter sidebar."""
    sidebar = re.search(r'<nav id="changelist-filter".*?</nav>', page, re.S)
    assert sidebar, "changelist has no filters"
    return {unescape(href) for href in re.findall(r'href="(\?[^"]*)"', sidebar[0])}


def test_every_model_of_the_queue_is_in_the_back_office():
    assert set(ORDERS_MODELS) >= {
        RestaurantProfile,
        DiningTable,
        MenuItem,
        Order,
        OrderItem,
        OrderEvent,
        RestaurantEvent,
    }


@pytest.mark.parametrize("model", ORDERS_MODELS, ids=lambda m: m.__name__)
def test_each_list_shows_its_columns_filters_and_search(owner, evening, model):
    model_admin = admin.site._registry[model]
    url = admin_url(model, "changelist")
    response = owner.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert model.objects.exists()
    assert 'id="result_list"' in page
    # One column per list_display entry.
    assert page.count('<th scope="col"') >= len(model_admin.list_display)
    if model_admin.search_fields:
        assert 'id="searchbar"' in page
        assert owner.get(url, {"q": "Kenji"}).status_code == 200
    if model_admin.list_filter:
        links = filter_links(page)
        assert links
        for querystring in links:
            assert owner.get(url + querystring).status_code == 200, querystring


@pytest.mark.parametrize("model", ORDERS_MODELS, ids=lambda m: m.__name__)
def test_each_record_opens_in_the_back_office(owner, evening, model):
    record = model.objects.order_by("pk").first()
    response = owner.get(admin_url(model, "change", record.pk))
    assert response.status_code == 200
    assert str(record) in unescape(response.content.decode())


def test_searching_orders_finds_a_party_by_name_code_or_phone(owner, evening):
    priya = Order.objects.get(customer_name="Priya")
    url = admin_url(Order, "changelist")
    for term in ["Priya", priya.order_code, "123456"]:
        page = owner.get(url, {"q": term}).content.decode()
        assert "1 result" in page, term
        assert "Priya" in page


def test_orders_filter_by_status(owner, evening):
    page = owner.get(admin_url(Order, "changelist"), {"status__exact": OrderStatus.IN_QUEUE})
    text = page.content.decode()
    assert "Priya" in text
    assert "Kenji" not in text


def test_order_history_cannot_be_edited_or_deleted_in_the_back_office(owner, evening):
    event = OrderEvent.objects.filter(order=evening).first()
    change = owner.get(admin_url(OrderEvent, "change", event.pk))
    assert change.status_code == 200  # it can be read...
    assert 'name="_save"' not in change.content.decode()  # ...but there is no Save button
    before = list(OrderEvent.objects.values_list("pk", "action", "to_status", "actor_label"))
    edit = owner.post(
        admin_url(OrderEvent, "change", event.pk),
        {"action": "forged", "to_status": OrderStatus.CANCELLED, "actor_label": "mallory"},
    )
    assert edit.status_code == 403
    assert owner.post(admin_url(OrderEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    assert owner.get(admin_url(OrderEvent, "add")).status_code == 403
    # The changelist offers no bulk delete either: the request is turned away untouched.
    owner.post(
        admin_url(OrderEvent, "changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert list(OrderEvent.objects.values_list("pk", "action", "to_status", "actor_label")) == before


def test_restaurant_history_cannot_be_edited_or_deleted_in_the_back_office(owner, evening):
    event = RestaurantEvent.objects.first()
    assert owner.post(admin_url(RestaurantEvent, "change", event.pk), {"action": "x"}).status_code == 403
    assert owner.post(admin_url(RestaurantEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    assert RestaurantEvent.objects.filter(pk=event.pk, action=event.action).exists()


def test_a_partys_status_cannot_be_changed_behind_the_hosts_back(owner, evening):
    priya = Order.objects.get(customer_name="Priya")
    response = owner.get(admin_url(Order, "change", priya.pk))
    page = response.content.decode()
    for field in ["status", "party_size", "table", "queue_position"]:
        # read-only: only the host stand moves a party on or seats it
        assert f'name="{field}"' not in page, field
    assert 'name="customer_name"' in page  # a typo in a name can still be fixed
    assert owner.get(admin_url(Order, "add")).status_code == 403
    assert owner.post(admin_url(Order, "delete", priya.pk), {"post": "yes"}).status_code == 403
    assert Order.objects.filter(pk=priya.pk, status=OrderStatus.IN_QUEUE).exists()


def test_menu_item_ordered_tonight_cannot_be_deleted(owner, evening, menu):
    response = owner.post(admin_url(MenuItem, "delete", menu["pizza"].pk), {"post": "yes"})
    assert response.status_code == 200  # Django explains what stands in the way instead
    page = unescape(response.content.decode())
    assert "Cannot delete menu item" in page
    # What really stands in the way (the orders keep it), and what to do instead; not a
    # misleading "your account doesn't have permission".
    assert "would require deleting the following protected related objects" in page
    assert "untick “Available” instead" in page
    assert "permission" not in page
    assert MenuItem.objects.filter(pk=menu["pizza"].pk).exists()


def test_menu_items_ordered_tonight_cannot_be_deleted_in_bulk_either(owner, evening, menu):
    changelist = reverse("admin:orders_menuitem_changelist")
    response = owner.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [menu["pizza"].pk, menu["salad"].pk]},
    )
    page = unescape(response.content.decode())
    assert "untick “Available” instead" in page
    assert "permission" not in page
    response = owner.post(
        changelist,
        {
            "action": "delete_selected",
            "_selected_action": [menu["pizza"].pk, menu["salad"].pk],
            "post": "yes",
        },
    )
    assert MenuItem.objects.filter(pk=menu["pizza"].pk).exists()


def test_staff_without_back_office_rights_are_kept_out(client, staff_user):
    client.force_login(staff_user)
    response = client.get(admin_url(Order, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_owner_adds_a_restaurant_with_just_a_number_of_tables(owner, staff_user):
    form = form_values(owner.get(admin_url(RestaurantProfile, "add")))
    assert "total_tables" in form
    form.update(name="Bistro Uno", slug="bistro-uno", total_tables="3")
    # One staff member, added as a manager on the restaurant's own page.
    form.update({
        "memberships-TOTAL_FORMS": "1",
        "memberships-0-user": str(staff_user.pk),
        "memberships-0-role": "manager",
    })
    response = owner.post(admin_url(RestaurantProfile, "add"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    bistro = RestaurantProfile.objects.get(slug="bistro-uno")
    assert bistro.total_tables == 3
    assert DiningTable.objects.filter(restaurant=bistro).count() == 3
    assert bistro.is_staffed_by(staff_user)
    assert bistro.is_managed_by(staff_user)


def test_owner_makes_a_host_a_manager_and_hides_the_published_accuracy(
    owner, restaurant, staff_user
):
    assert not restaurant.is_managed_by(staff_user)
    form = form_values(owner.get(admin_url(RestaurantProfile, "change", restaurant.pk)))
    assert form["memberships-0-role"] == "host"
    assert form["publish_quote_accuracy"] == "on"
    form["memberships-0-role"] = "manager"
    del form["publish_quote_accuracy"]  # unticked
    response = owner.post(admin_url(RestaurantProfile, "change", restaurant.pk), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    restaurant.refresh_from_db()
    assert restaurant.is_managed_by(staff_user)
    assert restaurant.publish_quote_accuracy is False


def test_room_size_is_changed_on_the_host_stand_not_in_the_back_office(owner, evening, restaurant):
    change = owner.get(admin_url(RestaurantProfile, "change", restaurant.pk))
    page = change.content.decode()
    assert 'name="total_tables"' not in page
    assert 'name="currently_occupied_tables"' not in page
    assert "Table 1" in unescape(page)  # the room is shown, for reference
    # Saving the restaurant (say, a longer grace period) leaves the room as it was.
    form = form_values(change)
    form["arrival_grace_minutes"] = "15"
    response = owner.post(admin_url(RestaurantProfile, "change", restaurant.pk), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    restaurant.refresh_from_db()
    assert restaurant.arrival_grace_minutes == 15
    assert restaurant.total_tables == DiningTable.objects.filter(restaurant=restaurant).count()
    assert owner.get(admin_url(DiningTable, "add")).status_code == 403
    table = DiningTable.objects.filter(restaurant=restaurant).first()
    assert owner.post(admin_url(DiningTable, "delete", table.pk), {"post": "yes"}).status_code == 403


def test_owner_corrects_a_misspelt_name_and_nothing_else_moves(owner, evening):
    priya = Order.objects.get(customer_name="Priya")
    before = (priya.status, priya.queue_position, priya.order_code, priya.items.count())
    events = OrderEvent.objects.count()
    form = form_values(owner.get(admin_url(Order, "change", priya.pk)))
    form["customer_name"] = "Pria"
    response = owner.post(admin_url(Order, "change", priya.pk), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    priya.refresh_from_db()
    assert priya.customer_name == "Pria"
    assert (priya.status, priya.queue_position, priya.order_code, priya.items.count()) == before
    assert OrderEvent.objects.count() == events
