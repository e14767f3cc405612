from django.contrib import admin
from django.db import connection
from django.http import HttpResponse
from django.urls import include, path


def healthz(request):
    """For load balancers and the container HEALTHCHECK: the app answers and the DB too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


admin.site.site_header = "ReadyTable back office"
admin.site.site_title = "ReadyTable"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("restaurant/", include("orders.urls_staff")),
    path("", include("orders.urls_diner")),
]
