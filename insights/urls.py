from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("<slug:slug>/insights/", views.insights_page, name="page"),
    path("<slug:slug>/insights/what-if/", views.what_if, name="what_if"),
    path("<slug:slug>/insights/<slug:table>.csv", views.insights_csv, name="csv"),
]
