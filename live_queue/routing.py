"""Which socket path is which screen. A diner's page needs no session (its link is its
key), nor does a lobby board (public), so only the staff screens go through the session and
user lookup."""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from django.urls import path, re_path

from . import consumers

staff_urlpatterns = [
    path("<slug:slug>/host/", consumers.HostConsumer.as_asgi()),
    path("<slug:slug>/kitchen/", consumers.KitchenConsumer.as_asgi()),
]

websocket_urlpatterns = [
    path("ws/q/<str:token>/", consumers.DinerConsumer.as_asgi()),
    path("ws/r/<slug:slug>/board/", consumers.BoardConsumer.as_asgi()),
    re_path(r"^ws/restaurant/", AuthMiddlewareStack(URLRouter(staff_urlpatterns))),
    # Anything else is no screen of ours: closed with "not found", not a server error.
    re_path(r"", consumers.NoSuchScreen.as_asgi()),
]
