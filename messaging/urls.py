from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("sms/inbound/", views.inbound_text, name="inbound"),
    path("sms/status/", views.delivery_status, name="status"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("q/<str:token>/manifest.webmanifest", views.manifest, name="manifest"),
    path("q/<str:token>/push/", views.subscribe, name="subscribe"),
    path("restaurant/<slug:slug>/orders/<int:order_id>/message/", views.host_message, name="host_message"),
]
