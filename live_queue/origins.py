"""Which pages may open a socket: our own, compared as a browser compares origins.

A socket's Origin header must be the site itself, scheme, host and port exactly, as the
browser reached it (the Host header, which must be one of ALLOWED_HOSTS; https when the
connection or the trusted proxy header says so), or one of CSRF_TRUSTED_ORIGINS (with its
"*." subdomain wildcards), as Django's CSRF check compares origins for forms. Channels' own
AllowedHostsOriginValidator compares the host name alone, so a page on another port or
over plain http of the same host could open our sockets.
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain


def _headers(scope):
    return {name.lower(): value for name, value in scope.get("headers", [])}


def _is_secure(scope, headers):
    if scope.get("scheme") in ("wss", "https"):
        return True
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        name, secure_value = proxy
        header = name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin1")
        return headers.get(header, b"").decode("latin1").split(",")[0].strip() == secure_value
    return False


def allowed_origin(scope):
    headers = _headers(scope)
    try:
        origin = headers[b"origin"].decode("latin1")
        host = headers[b"host"].decode("latin1")
    except (KeyError, UnicodeDecodeError):
        return False
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    scheme = "https" if _is_secure(scope, headers) else "http"
    if origin == f"{scheme}://{host}":
        return True
    try:
        asked = urlsplit(origin)
    except ValueError:
        return False
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        allowed = urlsplit(trusted)
        if allowed.scheme != asked.scheme:
            continue
        if allowed.netloc == asked.netloc:
            return True
        if allowed.netloc.startswith("*.") and is_same_domain(asked.netloc, allowed.netloc[1:]):
            return True
    return False


class SameOriginValidator:
    """ASGI middleware for WebSockets: refuse the handshake (403) to any other origin."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if allowed_origin(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
