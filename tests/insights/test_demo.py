"""`make run` opens on a meaningful insights screen: the demo restaurant has two months of
past service behind it, enough for findings, a forecast and its backtest."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import F, Max, Min
from django.urls import reverse

from insights import screen
from insights.periods import parse_period
from orders import clock
from orders.models import Order, OrderItem, OrderStatus, RestaurantProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    return RestaurantProfile.objects.get(slug="trattoria-demo")


def test_the_demo_has_eight_weeks_of_every_kind_of_evening(demo):
    history = Order.objects.filter(restaurant=demo).exclude(status__in=(OrderStatus.IN_QUEUE, OrderStatus.READY))
    span = history.aggregate(first=Min("joined_at"), last=Max("joined_at"))
    assert span["last"] - span["first"] >= timedelta(weeks=8)
    statuses = set(history.values_list("status", flat=True))
    assert statuses == {OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.NO_SHOW}
    seated = history.filter(status=OrderStatus.COMPLETED)
    assert not seated.filter(fired_at__isnull=True).exists()
    assert not seated.filter(table__isnull=True).exists()
    assert OrderItem.objects.filter(order__in=history).count() > 2 * history.count()
    # Quotes are not the waits: some parties waited longer than they were told, some less.
    assert seated.filter(actual_wait_minutes__gt=F("quoted_wait_minutes") + 5).exists()
    assert seated.filter(actual_wait_minutes__lt=F("quoted_wait_minutes") - 5).exists()


def test_the_demo_insights_screen_has_findings_a_forecast_and_its_backtest(demo):
    now = clock.now()
    shown = screen.insights_screen(demo, parse_period({"period": "28d"}, now), now)
    assert shown["summary"].seated > 300
    assert len(shown["findings"]) >= 3
    assert shown["demand"].available
    assert shown["demand"].accuracy.weeks == 4
    assert shown["demand"].accuracy.beats_naive


def test_the_demo_admin_opens_insights(demo, client):
    # Through the login page, as the newcomer would (the lockout checker needs the request).
    logged_in = client.post(reverse("staff:login"), {"username": "admin", "password": "admin123"})
    assert logged_in.status_code == 302
    response = client.get(reverse("insights:page", args=[demo.slug]))
    assert response.status_code == 200
    assert "Trattoria Demo — insights" in response.content.decode()
