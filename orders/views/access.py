"""Who may open a staff screen: a logged-in member of that restaurant's staff; for the
manager's screens and settings (insights, the room and timing), one of its managers; and what
a login locked out for too many failures sees."""

import functools
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from ..models import RestaurantProfile, StaffRole
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


def refuse(request, title, message):
    """403 with the reason: inline for htmx, a whole page otherwise."""
    if _is_htmx(request):
        return HttpResponse(render_flash(message, "error", request), status=403)
    return render(request, "error.html", {"title": title, "message": message}, status=403)


def _restaurant_access(view, *, managers_only, doing=""):
    @functools.wraps(view)
    def wrapper(request, slug, *args, **kwargs):
        if not request.user.is_authenticated:
            return _login_first(request, slug)
        restaurant = get_object_or_404(RestaurantProfile, slug=slug)
        role = restaurant.role_of(request.user)
        if role is None:
            return refuse(
                request, "Not your restaurant",
                f"Your account is not on the staff of {restaurant.name}.",
            )
        # For the pages' staff header and sections only managers see.
        request.staff_role = role
        request.can_manage = role == StaffRole.MANAGER
        if managers_only and not request.can_manage:
            return refuse(
                request, "For managers",
                f"Only a manager of {restaurant.name} can {doing}. Ask the owner to make "
                "your account a manager in the back office if you need to.",
            )
        return view(request, restaurant, *args, **kwargs)

    return wrapper


def staff_of_restaurant(view):
    """Resolve <slug> to a restaurant the user staffs (any role). Anonymous: to the login
    page; logged in but not this restaurant's staff: 403 with a clear message."""
    return _restaurant_access(view, managers_only=False)


def manager_of_restaurant(doing):
    """Like staff_of_restaurant, for what only the restaurant's managers (and superusers)
    may see or change; its hosts and kitchen are refused with 403 and the reason, which
    says what they tried: `@manager_of_restaurant("change the room and timing")`."""

    def decorator(view):
        return _restaurant_access(view, managers_only=True, doing=doing)

    return decorator


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
