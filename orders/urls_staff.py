from django.contrib.auth import views as auth_views
from django.urls import path

from .views import staff

app_name = "staff"

urlpatterns = [
    path("", staff.home, name="home"),
    path(
        "login/",
        staff.StaffLoginView.as_view(),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("<slug:slug>/host/", staff.host_stand, name="host"),
    path("<slug:slug>/kitchen/", staff.kitchen_display, name="kitchen"),
    path("<slug:slug>/notify-next/", staff.notify_next, name="notify_next"),
    path(
        "<slug:slug>/tables/<int:table_id>/<slug:action>/",
        staff.table_action,
        name="table_action",
    ),
    path("<slug:slug>/room/", staff.room_settings, name="room_settings"),
    path("<slug:slug>/accepting/", staff.accepting_joins, name="accepting"),
    path("<slug:slug>/remove-selected/", staff.remove_selected, name="remove_selected"),
    path("<slug:slug>/add-party/", staff.add_party, name="add_party"),
    path("<slug:slug>/add-party/quote/", staff.add_party_quote, name="add_party_quote"),
    path("<slug:slug>/poster/", staff.poster, name="poster"),
    path("<slug:slug>/poster/qr.svg", staff.poster_qr, {"kind": "svg"}, name="poster_qr_svg"),
    path("<slug:slug>/poster/qr.png", staff.poster_qr, {"kind": "png"}, name="poster_qr_png"),
    path(
        "<slug:slug>/orders/<int:order_id>/<slug:action>/",
        staff.order_action,
        name="order_action",
    ),
]
