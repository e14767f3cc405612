"""Logging in, as someone guessing passwords would: after LOGIN_FAILURE_LIMIT (5) failed logins
for one account, or from one address, that account or address is locked out for
LOGIN_LOCKOUT_MINUTES (15), the right password included, on the staff login and on the
admin's. The page says so and for how long; the lockout ends after the cool-off, or sooner
when the owner unlocks it in the admin."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.django_db

STAFF_LOGIN = reverse("staff:login")
ADMIN_LOGIN = reverse("admin:login")
LIMIT = settings.LOGIN_FAILURE_LIMIT


def browser(address="203.0.113.10"):
    return Client(REMOTE_ADDR=address)


def log_in(client, username, password, url=STAFF_LOGIN):
    return client.post(url, {"username": username, "password": password})


def is_logged_in(client, restaurant):
    return client.get(reverse("staff:host", args=[restaurant.slug])).status_code == 200


def fail(client, username, times, url=STAFF_LOGIN):
    for _ in range(times):
        response = log_in(client, username, "not-the-password", url)
        assert response.status_code in (400, 200, 429)
    return response


def locked_out_page(response):
    page = response.content.decode()
    return response.status_code == 429 and "Login locked for 15 minutes" in page


def minutes_pass(n):
    """The failed logins recorded so far happened `n` minutes earlier than they did."""
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(minutes=n)
        attempt.save(update_fields=["attempt_time"])


def cool_off_passes():
    minutes_pass(settings.LOGIN_LOCKOUT_MINUTES + 1)


def test_the_right_password_is_refused_once_the_account_is_locked_and_the_page_says_for_how_long(
    staff_user, restaurant
):
    host = browser()
    last_failure = fail(host, staff_user.username, LIMIT)
    assert locked_out_page(last_failure)  # the attempt that reached the limit says so at once
    response = log_in(host, staff_user.username, STAFF_PASSWORD)
    assert locked_out_page(response)
    assert response["Retry-After"] == str(15 * 60)
    assert "A manager can unlock it sooner" in response.content.decode()
    assert not is_logged_in(host, restaurant)


def test_one_failure_fewer_than_the_limit_still_lets_the_right_password_in(staff_user, restaurant):
    host = browser()
    fail(host, staff_user.username, LIMIT - 1)
    assert log_in(host, staff_user.username, STAFF_PASSWORD).status_code == 302
    assert is_logged_in(host, restaurant)


def test_an_account_guessed_at_from_many_addresses_is_locked_everywhere(staff_user, restaurant):
    for n in range(LIMIT):
        fail(browser(f"198.51.100.{n + 1}"), staff_user.username, 1)
    elsewhere = browser("192.0.2.77")  # an address that never failed
    assert locked_out_page(log_in(elsewhere, staff_user.username, STAFF_PASSWORD))
    assert not is_logged_in(elsewhere, restaurant)


def test_an_address_that_guessed_at_many_accounts_is_locked_for_every_account(
    staff_user, other_staff_user, restaurant, other_restaurant
):
    attacker = browser("203.0.113.66")
    for n in range(LIMIT):
        fail(attacker, f"guess-{n}", 1)
    # The real host, from that same address, is refused with the right password...
    assert locked_out_page(log_in(attacker, staff_user.username, STAFF_PASSWORD))
    # ...while from the kitchen's own address the same account logs in.
    kitchen = browser("192.0.2.5")
    assert log_in(kitchen, staff_user.username, STAFF_PASSWORD).status_code == 302
    assert is_logged_in(kitchen, restaurant)


def test_the_admin_login_is_locked_out_too(django_user_model):
    django_user_model.objects.create_superuser("owner", password="owner-pass-123")
    owner = browser()
    fail(owner, "owner", LIMIT, url=ADMIN_LOGIN)
    response = log_in(owner, "owner", "owner-pass-123", url=ADMIN_LOGIN)
    assert locked_out_page(response)
    assert owner.get(reverse("admin:index")).status_code == 302  # to the login: not in


def test_after_the_cool_off_the_right_password_works_again(staff_user, restaurant):
    host = browser()
    fail(host, staff_user.username, LIMIT)
    cool_off_passes()
    assert log_in(host, staff_user.username, STAFF_PASSWORD).status_code == 302
    assert is_logged_in(host, restaurant)


def test_a_guess_while_locked_starts_the_lockout_again(staff_user, restaurant):
    host = browser()
    fail(host, staff_user.username, LIMIT)
    minutes_pass(14)
    fail(host, staff_user.username, 1)  # one more guess, a minute before the lockout ends
    minutes_pass(2)  # the first lockout would be over by now...
    assert locked_out_page(log_in(host, staff_user.username, STAFF_PASSWORD))  # ...not this one
    cool_off_passes()
    assert log_in(host, staff_user.username, STAFF_PASSWORD).status_code == 302


def test_the_owner_unlocks_an_account_in_the_admin_and_the_right_password_works(
    staff_user, restaurant, django_user_model
):
    host = browser()
    fail(host, staff_user.username, LIMIT)
    assert locked_out_page(log_in(host, staff_user.username, STAFF_PASSWORD))

    owner = Client()
    owner.force_login(django_user_model.objects.create_superuser("owner", password="x-unused-9!"))
    users = reverse("admin:auth_user_changelist")
    assert "Unlock login" in owner.get(users).content.decode()
    response = owner.post(
        users, {"action": "unlock_login", "_selected_action": [staff_user.pk]}, follow=True
    )
    assert f"Unlocked: {staff_user.username}" in response.content.decode()

    assert log_in(host, staff_user.username, STAFF_PASSWORD).status_code == 302
    assert is_logged_in(host, restaurant)


def test_the_owner_unlocks_an_address_in_the_admin(staff_user, restaurant, django_user_model):
    attacker = browser("203.0.113.66")
    for n in range(LIMIT):
        fail(attacker, f"guess-{n}", 1)
    assert locked_out_page(log_in(attacker, staff_user.username, STAFF_PASSWORD))

    owner = Client()
    owner.force_login(django_user_model.objects.create_superuser("owner", password="x-unused-9!"))
    attempts = reverse("admin:axes_accessattempt_changelist")
    listed = owner.get(attempts, {"q": "203.0.113.66"}).content.decode()
    assert "203.0.113.66" in listed
    ids = list(AccessAttempt.objects.filter(ip_address="203.0.113.66").values_list("pk", flat=True))
    owner.post(attempts, {"action": "delete_selected", "_selected_action": ids, "post": "yes"})

    assert log_in(attacker, staff_user.username, STAFF_PASSWORD).status_code == 302
    assert is_logged_in(attacker, restaurant)
