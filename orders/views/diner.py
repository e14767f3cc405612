"""The diner's pages: pick a restaurant, join its queue with an order, track your place."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from .. import selectors, services
from ..forms import JoinForm
from ..models import Order, OrderStatus, RestaurantProfile
from .fragments import diner_context


@require_safe
def home(request):
    only = RestaurantProfile.objects.all()[:2]
    if len(only) == 1:
        # One restaurant: its page says whether it is open, with its menu and wait.
        return redirect(only[0])
    restaurants = list(selectors.open_restaurants())
    return render(request, "diner/home.html", {"restaurants": restaurants})


def _restaurant_page(request, restaurant, form, status=200, refusal=None, existing=None):
    snap = selectors.queue_snapshot(restaurant)
    return render(
        request,
        "diner/restaurant.html",
        {
            "restaurant": snap.restaurant,
            "snap": snap,
            "form": form,
            "menu_rows": form.menu_rows(),
            "refusal": refusal,
            "existing_order": existing,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def restaurant(request, slug):
    restaurant = RestaurantProfile.objects.filter(slug=slug).first()
    if restaurant is None:
        raise Http404("There is no restaurant at this address. Check the link or pick one below.")
    menu = selectors.menu_for(restaurant)
    if request.method == "GET":
        return _restaurant_page(request, restaurant, JoinForm(menu=menu, restaurant=restaurant))

    form = JoinForm(request.POST, menu=menu, restaurant=restaurant)
    if not form.is_valid():
        return _restaurant_page(request, restaurant, form, status=400)
    data = form.cleaned_data
    try:
        order = services.join_queue(
            restaurant.pk,
            customer_name=data["customer_name"],
            party_size=data["party_size"],
            lines=data["lines"],
            phone=data["phone"],
            email=data["email"],
            travel_minutes=data["travel_minutes"],
            submission_key=data["submission_key"],
        )
    except services.InvalidJoin as refusal:
        form.apply_service_errors(refusal.errors)
        return _restaurant_page(request, restaurant, form, status=refusal.status_code)
    except services.DuplicateJoin as refusal:
        return _restaurant_page(
            request, restaurant, form, status=409, refusal=refusal.message, existing=refusal.order
        )
    except services.QueueError as refusal:
        return _restaurant_page(
            request, restaurant, form, status=refusal.status_code, refusal=refusal.message
        )
    return redirect(order.get_absolute_url(), permanent=False)


def _diner_context_or_404(token):
    try:
        return diner_context(token)
    except Order.DoesNotExist:
        raise Http404("No party in any queue has this link. Check the link you were sent.")


@require_safe
def order(request, token):
    context = _diner_context_or_404(token)
    return render(request, "diner/order.html", context)


@require_http_methods(["GET", "POST"])
def leave(request, token):
    context = _diner_context_or_404(token)
    order = context["order"]
    if request.method == "GET":
        if order.status not in (OrderStatus.IN_QUEUE, OrderStatus.AWAITING_ARRIVAL):
            return redirect(order)
        return render(request, "diner/leave_confirm.html", context)
    try:
        services.leave_queue(order.pk)
    except services.QueueError as refusal:
        context = _diner_context_or_404(token)
        context["refusal"] = refusal.message
        return render(request, "diner/order.html", context, status=refusal.status_code)
    messages.info(request, "You have left the queue. We hope to see you another time.")
    return redirect(order)
