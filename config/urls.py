import logging

from django.contrib import admin
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import include, path

from orders import admin as orders_admin

logger = logging.getLogger(__name__)


def healthz(request):
    """For load balancers and the container HEALTHCHECK: the app answers and the DB too."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.warning("Health check: the database does not answer", exc_info=True)
        return HttpResponse("database unavailable", content_type="text/plain", status=503)
    return HttpResponse("ok", content_type="text/plain")


def not_found(request, exception):
    """The 404 page. Django's own wording ("No Order matches the given query.", or just
    "Resolver404" for an unknown address) is meant for developers, so only a message the
    app wrote for people (a plain Http404 raised with a sentence) is shown."""
    message = people_message(exception)
    return render(request, "404.html", {"message": message}, status=404)


def people_message(exception):
    """The sentence a view wrote for people when it raised Http404, or ""."""
    if type(exception) is Http404 and exception.args and isinstance(exception.args[0], str):
        if "matches the given query" not in exception.args[0]:
            return exception.args[0]
    return ""


handler404 = not_found

admin.site.site_header = "ReadyTable back office"
admin.site.site_title = "ReadyTable"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Before the admin's own: its "view on site" must not lead a manager to a party's link.
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(orders_admin.view_on_site),
    ),
    path("admin/", admin.site.urls),
    path("", include("messaging.urls")),
    path("restaurant/", include("orders.urls_staff")),
    path("restaurant/", include("insights.urls")),
    path("", include("orders.urls_diner")),
]
