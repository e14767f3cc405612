"""Who may open a staff screen: a logged-in member of that restaurant's staff; and what a
login locked out for too many failures sees."""

import functools
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from ..models import RestaurantProfile
from .fragments import render_flash


def _is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def _login_first(request, slug):
    """Anonymous (or logged out in another tab): off to the login page, and back afterwards."""
    if request.method in ("GET", "HEAD"):
        next_url = request.get_full_path()
    else:
        # An action URL answers only POST: after logging in, come back to the screen the
        # button was on instead of landing on a 405.
        screen = "kitchen" if request.POST.get("screen") == "kitchen" else "host"
        next_url = reverse(f"staff:{screen}", args=[slug])
    login = redirect_to_login(next_url)
    if _is_htmx(request):
        # htmx follows a 302 inside its XHR and would swap the login page into nothing
        # (staff buttons swap "none"), so the click would silently do nothing. HX-Redirect
        # makes the browser itself go to the login page.
        response = HttpResponse("Please log in again.", content_type="text/plain")
        response["HX-Redirect"] = login["Location"]
        return response
    return login


def staff_of_restaurant(view):
    """Resolve <slug> to a restaurant the user staffs. Anonymous: to the login page;
    logged in but not this restaurant's staff: 403 with a clear message."""

    @functools.wraps(view)
    def wrapper(request, slug, *args, **kwargs):
        if not request.user.is_authenticated:
            return _login_first(request, slug)
        restaurant = get_object_or_404(RestaurantProfile, slug=slug)
        if not restaurant.is_staffed_by(request.user):
            message = f"Your account is not on the staff of {restaurant.name}."
            if _is_htmx(request):
                return HttpResponse(render_flash(message, "error", request), status=403)
            return render(
                request,
                "error.html",
                {"title": "Not your restaurant", "message": message},
                status=403,
            )
        return view(request, restaurant, *args, **kwargs)

    return wrapper


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a login while the account or the address is locked out (the
    staff login and the admin's): how long it lasts, and who can lift it. The right password
    is refused too until then. Called with (request, credentials) on the async path."""
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    until = timezone.localtime(timezone.now() + timedelta(minutes=minutes))
    response = render(
        request,
        "staff/locked_out.html",
        {"minutes": minutes, "until": until, "limit": settings.LOGIN_FAILURE_LIMIT},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response
