"""ASGI entry point: daphne serves HTTP (Django) and the live screens' WebSockets.

HTTP requests run at most MAX_CONCURRENT_REQUESTS at a time per process (the rest wait their
turn): each one Django serves holds a database connection, so a burst of page loads gets
slower answers instead of exhausting PostgreSQL's connections (README "Database
connections"). WebSockets pass the origin check (live_queue.origins: the page must be our
own, scheme, host and port, or a trusted origin) before they reach live_queue's consumers;
the staff screens also carry the Django session."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from config.limits import ConcurrencyLimit  # noqa: E402
from live_queue.origins import SameOriginValidator  # noqa: E402
from live_queue.rates import guard_daphne  # noqa: E402
from live_queue.routing import websocket_urlpatterns  # noqa: E402

# A socket flooding the server is cut where daphne reads its frames (live_queue.rates).
guard_daphne()

application = ProtocolTypeRouter(
    {
        "http": ConcurrencyLimit(django_asgi_app, settings.MAX_CONCURRENT_REQUESTS),
        "websocket": SameOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
