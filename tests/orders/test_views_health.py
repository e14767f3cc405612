"""/healthz: what the container's HEALTHCHECK and a load balancer ask before sending diners
to this server."""

import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db


def test_healthy_server_answers_ok_without_a_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"ok"


def test_server_without_its_database_says_it_is_unavailable(client, monkeypatch):
    from config import urls

    class DeadCursor:
        def __enter__(self):
            raise OperationalError("connection refused")

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(urls.connection, "cursor", lambda: DeadCursor())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"database unavailable"


def test_request_for_a_host_this_server_does_not_serve_is_refused_plainly(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert b"This request could not be understood" in response.content
