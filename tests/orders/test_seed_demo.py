"""`manage.py seed_demo`: a demo evening to click through, with the one known login in
ReadyTable (admin / admin123). It must never put that login on a production server by accident."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from orders.models import MenuItem, Order, OrderEvent, OrderItem, OrderStatus, RestaurantProfile

pytestmark = pytest.mark.django_db


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def everything():
    return (
        RestaurantProfile.objects.count(),
        MenuItem.objects.count(),
        Order.objects.count(),
        OrderItem.objects.count(),
        OrderEvent.objects.count(),
        get_user_model().objects.count(),
    )


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def test_demo_sets_up_a_restaurant_mid_service(debug_on):
    output = seed()
    assert "Staff login: admin / admin123" in output
    demo = RestaurantProfile.objects.get(slug="trattoria-demo")
    assert demo.name == "Trattoria Demo"
    assert MenuItem.objects.filter(restaurant=demo).count() >= 6
    statuses = list(Order.objects.filter(restaurant=demo).values_list("status", flat=True))
    assert statuses.count(OrderStatus.READY) >= 1
    waiting = Order.objects.filter(restaurant=demo, status=OrderStatus.IN_QUEUE)
    assert waiting.count() >= 3
    assert sorted(waiting.values_list("queue_position", flat=True)) == list(
        range(1, waiting.count() + 1)
    )
    # The diners ordered ahead; the couple who walked up, added by the host, order at the table.
    assert all(order.items.exists() for order in waiting if not order.added_by_host)
    assert waiting.filter(added_by_host=True).count() == 1
    demo.refresh_from_db()
    assert 0 < demo.currently_occupied_tables <= demo.total_tables


def test_demo_login_runs_the_demo_host_stand(debug_on, client):
    seed()
    # Through the login page, as a person logs in (django-axes checks every login there).
    login = client.post(reverse("staff:login"), {"username": "admin", "password": "admin123"})
    assert login.status_code == 302
    response = client.get(reverse("staff:host", args=["trattoria-demo"]))
    assert response.status_code == 200
    assert "Trattoria Demo — host stand" in response.content.decode()


def test_running_the_demo_twice_adds_nothing(debug_on):
    seed()
    before = everything()
    output = seed()
    assert "already exists" in output
    assert everything() == before


def test_demo_leaves_a_changed_admin_password_alone(debug_on, django_user_model):
    owner = django_user_model.objects.create(username="admin", is_superuser=True, is_staff=True)
    owner.set_password("a-real-secret-9321")
    owner.save()
    seed()
    owner.refresh_from_db()
    assert owner.check_password("a-real-secret-9321")
    assert not owner.check_password("admin123")


def test_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        seed()
    assert everything() == (0, 0, 0, 0, 0, 0)


def test_demo_runs_with_debug_off_only_when_forced(settings):
    settings.DEBUG = False
    seed("--force")
    assert RestaurantProfile.objects.filter(slug="trattoria-demo").exists()
    assert get_user_model().objects.get(username="admin").check_password("admin123")


def test_no_other_code_knows_the_demo_password():
    project = Path(django_settings.BASE_DIR)
    mentions = [
        path.relative_to(project).as_posix()
        for folder in ["config", "orders", "live_queue"]
        for path in (project / folder).rglob("*.py")
        if "admin123" in path.read_text()
    ]
    assert mentions == ["orders/management/commands/seed_demo.py"]
