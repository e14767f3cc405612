from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/q/<str:token>/", consumers.DinerConsumer.as_asgi()),
    path("ws/restaurant/<slug:slug>/host/", consumers.HostConsumer.as_asgi()),
    path("ws/restaurant/<slug:slug>/kitchen/", consumers.KitchenConsumer.as_asgi()),
]
