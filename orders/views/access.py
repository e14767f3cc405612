"""Who may open a staff screen: a logged-in member of that restaurant's staff."""

import functools

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, render

from ..models import RestaurantProfile


def staff_of_restaurant(view):
    """Resolve <slug> to a restaurant the user staffs. Anonymous: to the login page;
    logged in but not this restaurant's staff: 403 with a clear message."""

    @functools.wraps(view)
    def wrapper(request, slug, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        restaurant = get_object_or_404(RestaurantProfile, slug=slug)
        if not restaurant.is_staffed_by(request.user):
            return render(
                request,
                "error.html",
                {
                    "title": "Not your restaurant",
                    "message": f"Your account is not on the staff of {restaurant.name}.",
                },
                status=403,
            )
        return view(request, restaurant, *args, **kwargs)

    return wrapper
