"""Every address answers a malformed request (a NUL, a broken percent-escape, an over-long
token or id) with 400 or 404, never 500; every page tells browsers and proxies not to keep it;
every error answer has a page to read (a 405 too); the Content-Security-Policy is strict; and
with DEBUG off the site is https-only, except the health check."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from orders import services

pytestmark = pytest.mark.django_db

BAD_SEGMENTS = {
    "nul": "%00",
    "nul-after-text": "x%00",
    "control-character": "a%07b",
    "broken-escape": "%ZZ",
    "half-escape": "abc%",
    "not-utf8": "%FF%FE",
    "overlong-utf8": "%C0%AF",
    "very-long": "a" * 5000,
    "huge-number": "9" * 40,
}


@pytest.fixture
def evening(restaurant, join, staff_user):
    order = join("Priya")
    table = restaurant.tables.first()
    return restaurant, order, table


@pytest.fixture
def host(staff_user):
    staff_user.is_staff = True
    staff_user.is_superuser = True  # every page, the admin's too
    staff_user.save()
    browser = Client()
    browser.force_login(staff_user)
    return browser


def routes(restaurant, order, table):
    """(method, address with {} where the malformed part goes) for every route of the app."""
    slug, token = restaurant.slug, order.public_token
    return [
        ("get", "/r/{}/"),
        ("post", "/r/{}/"),
        ("get", "/q/{}/"),
        ("get", "/q/{}/leave/"),
        ("post", "/q/{}/leave/"),
        ("post", "/q/{}/travel/"),
        ("get", "/restaurant/{}/host/"),
        ("get", "/restaurant/{}/kitchen/"),
        ("post", "/restaurant/{}/notify-next/"),
        ("post", "/restaurant/{}/room/"),
        ("post", "/restaurant/{}/accepting/"),
        ("post", "/restaurant/{}/remove-selected/"),
        ("post", f"/restaurant/{slug}/orders/{{}}/notify/"),
        ("post", f"/restaurant/{slug}/orders/{order.pk}/{{}}/"),
        ("post", f"/restaurant/{{}}/orders/{order.pk}/seat/"),
        ("post", f"/restaurant/{slug}/tables/{{}}/seat-walk-in/"),
        ("post", f"/restaurant/{slug}/tables/{table.pk}/{{}}/"),
        ("get", "/{}"),
        ("get", "/restaurant/{}"),
        ("get", "/admin/orders/order/{}/change/"),
        ("get", "/healthz{}"),
    ]


@pytest.mark.parametrize("bad", list(BAD_SEGMENTS.values()), ids=list(BAD_SEGMENTS))
def test_every_route_answers_malformed_input_with_400_or_404(host, evening, bad):
    restaurant, order, table = evening
    for method, address in routes(*evening):
        url = address.format(bad)
        response = getattr(host, method)(url)
        expected = (400, 404, 302) if url.startswith("/admin/") else (400, 404)
        assert response.status_code in expected, f"{method.upper()} {url[:80]}: {response.status_code}"
        if response.status_code >= 400:
            assert response.content, f"{method.upper()} {url[:80]}: empty body"


def test_the_addresses_from_the_report_answer_400(host, evening):
    assert host.get("/q/%00/").status_code == 400
    assert host.post("/q/x%00/travel/").status_code == 400
    assert Client().get("/q/%00/").status_code == 400  # anonymous too


@pytest.mark.parametrize(
    "url",
    [
        "/restaurant/login/?next=%00",
        "/admin/orders/order/?q=%00",
        "/admin/orders/order/?q=%00abc&status__exact=IN_QUEUE",
        "/r/trattoria-verde/?x=%01",
    ],
)
def test_a_nul_in_the_query_string_is_a_400(host, evening, url):
    response = host.get(url)
    assert response.status_code == 400
    assert b"could not be understood" in response.content


def test_the_admin_search_still_finds_a_party_with_ordinary_text(host, evening):
    response = host.get("/admin/orders/order/", {"q": "Priya"})
    assert response.status_code == 200 and b"Priya" in response.content


def test_the_join_form_with_a_nul_in_the_name_is_refused_on_the_form(restaurant, menu, evening):
    response = Client().post(
        restaurant.get_absolute_url(),
        {"customer_name": "Pri\x00ya", "party_size": "2", f"item-{menu['pizza'].pk}-qty": "1"},
    )
    assert response.status_code == 400
    assert b"Null characters are not allowed" in response.content


# -- Headers ----------------------------------------------------------------------------------------


def test_staff_and_diner_pages_are_never_stored(host, evening, restaurant):
    _, order, _ = evening
    for url in [
        reverse("staff:host", args=[restaurant.slug]),
        reverse("staff:kitchen", args=[restaurant.slug]),
        reverse("staff:login"),
        order.get_absolute_url(),
        reverse("diner:leave", args=[order.public_token]),
        restaurant.get_absolute_url(),
        "/",
        "/q/unknown-token/",
    ]:
        response = host.get(url, follow=url == "/")
        assert "no-store" in response["Cache-Control"], url


def test_every_page_carries_the_strict_content_security_policy(host, evening, restaurant):
    policy = host.get(reverse("staff:host", args=[restaurant.slug]))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    for url in [restaurant.get_absolute_url(), reverse("admin:login"), "/q/nobody/"]:
        assert Client().get(url)["Content-Security-Policy"] == policy


def test_the_pages_have_no_inline_script_or_style_to_break_under_it(host, evening, restaurant):
    _, order, _ = evening
    for url in [
        reverse("staff:host", args=[restaurant.slug]),
        reverse("staff:kitchen", args=[restaurant.slug]),
        reverse("staff:login"),
        order.get_absolute_url(),
        restaurant.get_absolute_url(),
    ]:
        browser = Client() if url == reverse("staff:login") else host  # logged in: redirected
        page = browser.get(url).content.decode()
        assert "<style" not in page, url
        assert " style=" not in page, url
        scripts = page.split("<script")[1:]
        assert all(" src=" in s.split(">", 1)[0] for s in scripts), url
        assert '"includeIndicatorStyles":false' in page  # htmx adds no <style> of its own


def test_a_405_has_a_page_saying_what_happened(host, evening, restaurant):
    _, order, _ = evening
    response = host.get(reverse("diner:travel", args=[order.public_token]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert b"does not answer a GET request" in response.content
    staff = host.get(reverse("staff:notify_next", args=[restaurant.slug]))
    assert staff.status_code == 405 and b"does not answer a GET request" in staff.content
    assert "no-store" in staff["Cache-Control"]


PRODUCTION_HTTPS = dict(
    SECURE_SSL_REDIRECT=True,
    SECURE_REDIRECT_EXEMPT=[r"^healthz$"],
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
)


@override_settings(**PRODUCTION_HTTPS)
def test_with_debug_off_plain_http_is_sent_to_https_but_the_health_check_is_not(restaurant):
    browser = Client()  # a new client: the security middleware reads the settings at start
    response = browser.get(restaurant.get_absolute_url())
    assert response.status_code == 301
    assert response["Location"] == f"https://testserver{restaurant.get_absolute_url()}"
    health = browser.get("/healthz")
    assert health.status_code == 200 and health.content == b"ok"


@override_settings(**PRODUCTION_HTTPS)
def test_over_https_behind_the_proxy_browsers_are_told_to_stay_on_https(restaurant):
    response = Client().get(restaurant.get_absolute_url(), HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_a_walk_in_number_too_big_for_any_column_is_a_400(host, evening, restaurant):
    _, _, table = evening
    url = reverse("staff:table_action", args=[restaurant.slug, table.pk, "seat-walk-in"])
    assert host.post(url, {"party_size": "9" * 30}).status_code == 400
    assert host.post(url, {"party_size": "-3"}).status_code == 400
    assert not services.selectors.queue_snapshot(restaurant).walk_in_tables
