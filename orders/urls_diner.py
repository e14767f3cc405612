from django.urls import path

from .views import diner

app_name = "diner"

urlpatterns = [
    path("", diner.home, name="home"),
    path("r/<slug:slug>/", diner.restaurant, name="restaurant"),
    path("r/<slug:slug>/board/", diner.board, name="board"),
    path("q/<str:token>/", diner.order, name="order"),
    path("q/<str:token>/leave/", diner.leave, name="leave"),
    path("q/<str:token>/travel/", diner.travel, name="travel"),
    path("q/<str:token>/answer/", diner.answer, name="answer"),
    path("q/<str:token>/contact/", diner.contact, name="contact"),
]
