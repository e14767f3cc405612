"""The host stand and the kitchen display. Each action parses the request, calls one
service, and answers with the screen's fragments (htmx) or a redirect back (plain HTTP)."""

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..models import Order
from .access import staff_of_restaurant
from .fragments import (
    HOST_FRAGMENTS,
    KITCHEN_FRAGMENTS,
    host_context,
    kitchen_context,
    render_flash,
    render_fragments,
)


def home(request):
    if not request.user.is_authenticated:
        return redirect("staff:login")
    restaurants = list(selectors.restaurants_for(request.user))
    if len(restaurants) == 1:
        return redirect("staff:host", slug=restaurants[0].slug)
    return render(request, "staff/home.html", {"restaurants": restaurants})


@staff_of_restaurant
def host_stand(request, restaurant):
    return render(request, "staff/host.html", host_context(restaurant))


@staff_of_restaurant
def kitchen_display(request, restaurant):
    return render(request, "staff/kitchen.html", kitchen_context(restaurant))


# Order actions: name in the URL -> (service, which screen the button lives on, done message)
ORDER_ACTIONS = {
    "notify": (services.notify_party, "host", "{name} ({code}) was told to head over now."),
    "seat": (services.seat_party, "host", "{name} ({code}) is seated."),
    "complete": (services.complete_party, "host", "{name} ({code}) has left; the table is free."),
    "no-show": (services.mark_no_show, "host", "{name} ({code}) was marked a no-show."),
    "remove": (services.remove_party, "host", "{name} ({code}) was removed from the queue."),
    "receive": (services.accept_ticket, "kitchen", "Ticket {code} received."),
    "prepare": (services.start_preparing, "kitchen", "Ticket {code} is being prepared."),
    "food-ready": (services.mark_food_ready, "kitchen", "Food for {code} is ready."),
}


def _screen_response(request, restaurant, screen, *, message=None, refusal=None, status=200):
    if screen == "kitchen":
        templates, context, page = KITCHEN_FRAGMENTS, kitchen_context(restaurant), "staff/kitchen.html"
    else:
        templates, context, page = HOST_FRAGMENTS, host_context(restaurant), "staff/host.html"
    if request.headers.get("HX-Request") == "true":
        body = render_fragments(templates, context, request)
        if refusal or message:
            body += render_flash(refusal or message, "error" if refusal else "success", request)
        return HttpResponse(body, status=status)
    if refusal:
        # Plain HTTP: show the refusal on the whole, current screen with the real status code.
        context["flash"] = {"message": refusal, "level": "error"}
        return render(request, page, context, status=status)
    if message:
        messages.success(request, message)
    return redirect(reverse(f"staff:{screen}", args=[restaurant.slug]))


@require_POST
@staff_of_restaurant
def order_action(request, restaurant, order_id, action):
    if action not in ORDER_ACTIONS:
        return HttpResponseBadRequest("Unknown action.")
    service, screen, done = ORDER_ACTIONS[action]
    screen = request.POST.get("screen") if request.POST.get("screen") in ("host", "kitchen") else screen
    order = get_object_or_404(Order, pk=order_id, restaurant=restaurant)
    try:
        service(order.pk, request.user)
    except services.QueueError as refusal:
        return _screen_response(
            request, restaurant, screen, refusal=refusal.message, status=refusal.status_code
        )
    message = done.format(name=order.customer_name, code=order.order_code)
    return _screen_response(request, restaurant, screen, message=message)


@require_POST
@staff_of_restaurant
def notify_next(request, restaurant):
    expected = request.POST.get("order") or None
    if expected is not None and not expected.isdigit():
        return _screen_response(
            request, restaurant, "host", refusal="Unknown party.", status=400
        )
    try:
        order = services.notify_next(
            restaurant.pk, request.user, int(expected) if expected else None
        )
    except services.QueueError as refusal:
        return _screen_response(
            request, restaurant, "host", refusal=refusal.message, status=refusal.status_code
        )
    message = f"{order.customer_name} ({order.order_code}) was told to head over now."
    return _screen_response(request, restaurant, "host", message=message)


@require_POST
@staff_of_restaurant
def walk_in_tables(request, restaurant):
    try:
        delta = int(request.POST.get("delta", ""))
    except ValueError:
        delta = 0
    try:
        services.adjust_walk_in_tables(restaurant.pk, delta, request.user)
    except services.QueueError as refusal:
        status = 400 if delta not in (1, -1) else refusal.status_code
        return _screen_response(request, restaurant, "host", refusal=refusal.message, status=status)
    message = "Walk-in table seated." if delta > 0 else "Walk-in table freed."
    return _screen_response(request, restaurant, "host", message=message)


@require_POST
@staff_of_restaurant
def accepting_joins(request, restaurant):
    value = request.POST.get("accepting")
    if value not in ("open", "closed"):
        return _screen_response(
            request, restaurant, "host", refusal="Say whether the queue is open or closed.", status=400
        )
    services.set_accepting_joins(restaurant.pk, value == "open", request.user)
    message = "The queue is open for new parties." if value == "open" else "The queue is closed to new parties."
    return _screen_response(request, restaurant, "host", message=message)
