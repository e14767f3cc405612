"""Fixtures for the WebSocket tests: real consumers behind the real ASGI stack (origin
check, session auth, routing) on whichever channel layer the settings pick — Redis in CI,
in-memory on the embedded default."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client

from config.asgi import application
from orders import services
from orders.models import MenuItem, RestaurantProfile

ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture(autouse=True)
def fast_resync(settings):
    settings.LIVE_QUEUE_RESYNC_SECONDS = 0.3


@pytest.fixture(autouse=True)
def consumer_threads_close_their_connections():
    """Consumers reach the database from worker threads; with persistent connections those
    would outlive the test and keep PostgreSQL from dropping the test database."""
    from django.db import connections

    previous = connections.settings["default"].get("CONN_MAX_AGE", 0)
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    yield
    connections.settings["default"]["CONN_MAX_AGE"] = previous


@pytest.fixture
def make_restaurant(transactional_db):
    def make(slug="luigis", name="Luigi's", tables=2):
        restaurant = RestaurantProfile.objects.create(
            name=name, slug=slug, total_tables=tables, avg_dine_in_duration_minutes=40
        )
        MenuItem.objects.create(
            restaurant=restaurant, name="Lasagne", price="13.00", estimated_prep_time_minutes=15
        )
        return restaurant

    return make


@pytest.fixture
def restaurant(make_restaurant):
    return make_restaurant()


@pytest.fixture
def other_restaurant(make_restaurant):
    return make_restaurant(slug="rivals", name="Rivals")


def _join(restaurant, name="Ada", party_size=2):
    dish = restaurant.menu_items.first()
    return services.join_queue(
        restaurant.pk,
        customer_name=name,
        party_size=party_size,
        lines=[services.LineRequest(dish.pk, 1)],
    )


@pytest.fixture
def join():
    return sync_to_async(_join)


def _session_cookie_for(user):
    client = Client()
    client.force_login(user)
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def staff_cookie(restaurant):
    def make(username="host", restaurant_to_staff=restaurant):
        user = get_user_model().objects.create_user(username=username, password="x-unused-9!")
        if restaurant_to_staff is not None:
            restaurant_to_staff.staff.add(user)
        return _session_cookie_for(user)

    return sync_to_async(make)


def open_socket(path, cookie=None, origin=ORIGIN):
    headers = [origin] if origin else []
    if cookie:
        headers.append((b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)
