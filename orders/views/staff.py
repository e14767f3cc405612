"""The host stand and the kitchen display. Each action parses the request, calls one
service, and answers with the screen's fragments (htmx) or a redirect back (plain HTTP)."""

from django.contrib import messages
from django.contrib.auth.views import LoginView
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..forms import RoomSettingsForm
from ..models import DiningTable, Order
from .access import manager_of_restaurant, staff_of_restaurant
from .fragments import (
    HOST_FRAGMENTS,
    KITCHEN_FRAGMENTS,
    ROOM_FORM,
    host_context,
    kitchen_context,
    render_flash,
    render_fragments,
)


class StaffLoginView(LoginView):
    """Django's login, answering a wrong username or password with 400 and the message,
    like every other form a person can get wrong here."""

    template_name = "staff/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


def home(request):
    if not request.user.is_authenticated:
        return redirect("staff:login")
    restaurants = list(selectors.restaurants_for(request.user))
    if len(restaurants) == 1:
        return redirect("staff:host", slug=restaurants[0].slug)
    return render(request, "staff/home.html", {"restaurants": restaurants})


def _host_page_context(request, restaurant):
    """The host stand's fragments plus, for managers, its Room and timing form (not part of
    any push)."""
    context = host_context(restaurant)
    if request.can_manage:
        restaurant = context["snap"].restaurant
        sizes = selectors.table_sizes(restaurant)
        context["room_form"] = RoomSettingsForm.for_restaurant(
            restaurant, sizes, services.room_fingerprint(restaurant, sizes)
        )
    return context


@staff_of_restaurant
def host_stand(request, restaurant):
    return render(request, "staff/host.html", _host_page_context(request, restaurant))


@staff_of_restaurant
def kitchen_display(request, restaurant):
    return render(request, "staff/kitchen.html", kitchen_context(restaurant))


# Order actions: name in the URL -> (service, which screen the button lives on, done message)
ORDER_ACTIONS = {
    "notify": (services.notify_party, "host", "{name} ({code}) was told to head over now."),
    "arrived": (services.check_in, "host", "{name} ({code}) is here and waits for the next table."),
    "seat": (services.seat_party, "host", "{name} ({code}) is seated."),
    "complete": (services.complete_party, "host", "{name} ({code}) has left; the table is free."),
    "no-show": (services.mark_no_show, "host", "{name} ({code}) was marked a no-show."),
    "remove": (services.remove_party, "host", "{name} ({code}) was removed from the queue."),
    "receive": (services.accept_ticket, "kitchen", "Ticket {code} received."),
    "prepare": (services.start_preparing, "kitchen", "Ticket {code} is being prepared."),
    "food-ready": (services.mark_food_ready, "kitchen", "Food for {code} is ready."),
}


def _screen_response(
    request, restaurant, screen, *, message=None, refusal=None, status=200, room_form=False
):
    """The screen after an action. `room_form`: the host stand's Room and timing form is
    sent back too, showing what is saved now (it is never part of a push)."""
    if screen == "kitchen":
        templates, context, page = KITCHEN_FRAGMENTS, kitchen_context(restaurant), "staff/kitchen.html"
    else:
        templates, context, page = (
            HOST_FRAGMENTS, _host_page_context(request, restaurant), "staff/host.html"
        )
        if room_form:
            templates = (*templates, ROOM_FORM)
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


def _whole_number(raw):
    """A whole number typed or sent by a page, or None. Only ASCII digits: "²".isdigit()
    is true, but it is no number a host meant."""
    raw = (raw or "").strip()
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        return None
    return int(raw)


@require_POST
@staff_of_restaurant
def order_action(request, restaurant, order_id, action):
    screen = request.POST.get("screen") if request.POST.get("screen") in ("host", "kitchen") else None
    if action not in ORDER_ACTIONS:
        return _screen_response(
            request, restaurant, screen or "host", refusal="That button does nothing here.", status=400
        )
    service, home_screen, done = ORDER_ACTIONS[action]
    screen = screen or home_screen
    order = Order.objects.filter(pk=order_id, restaurant=restaurant).first()
    if order is None:
        return _screen_response(
            request, restaurant, screen,
            refusal=f"That party is not in {restaurant.name}'s list any more.", status=404,
        )
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
    raw = request.POST.get("order") or None
    expected = _whole_number(raw)
    if raw is not None and expected is None:
        return _screen_response(
            request, restaurant, "host", refusal="Unknown party.", status=400
        )
    try:
        order = services.notify_next(restaurant.pk, request.user, expected)
    except services.QueueError as refusal:
        return _screen_response(
            request, restaurant, "host", refusal=refusal.message, status=refusal.status_code
        )
    message = f"{order.customer_name} ({order.order_code}) was told to head over now."
    return _screen_response(request, restaurant, "host", message=message)


@require_POST
@staff_of_restaurant
def table_action(request, restaurant, table_id, action):
    """A walk-in sits down at a free table, or leaves one."""
    table = DiningTable.objects.filter(pk=table_id, restaurant=restaurant).first()
    if table is None:
        return _screen_response(
            request, restaurant, "host", refusal=f"That table is not in {restaurant.name}.", status=404
        )
    raw_size = request.POST.get("party_size") or None
    party_size = _whole_number(raw_size)
    if raw_size is not None and party_size is None:
        return _screen_response(
            request, restaurant, "host", refusal="Party size must be a whole number.", status=400
        )
    try:
        if action == "seat-walk-in":
            services.seat_walk_in(
                restaurant.pk, request.user, table_id=table.pk, party_size=party_size
            )
            message = f"Walk-in seated at table {table.number}."
        elif action == "walk-in-left":
            services.walk_in_left(restaurant.pk, request.user, table_id=table.pk)
            message = f"Table {table.number} is free."
        else:
            return _screen_response(
                request, restaurant, "host", refusal="That button does nothing here.", status=400
            )
    except services.QueueError as refusal:
        return _screen_response(
            request, restaurant, "host", refusal=refusal.message, status=refusal.status_code
        )
    return _screen_response(request, restaurant, "host", message=message)


@require_POST
@manager_of_restaurant("change the room and timing")
def room_settings(request, restaurant):
    """The room's tables by size and how the house runs, from the host stand."""
    sizes = selectors.table_sizes(restaurant)
    form = RoomSettingsForm(request.POST, table_sizes=sizes)
    try:
        if request.POST.get("seen"):
            # Before the fields are checked: a form from before a table size was added or
            # removed has the wrong fields, and the real news is that it is out of date.
            services.refuse_if_room_changed(restaurant, request.POST["seen"])
        if not form.is_valid():
            return _screen_response(
                request, restaurant, "host", refusal=form.error_text(), status=400
            )
        services.update_room(
            restaurant.pk,
            request.user,
            table_counts=form.table_counts(),
            seen=form.cleaned_data["seen"],
            **form.house_settings(),
        )
    except services.RoomChangedMeanwhile as refusal:
        # What the host typed is replaced by what is saved now, with the reason.
        return _screen_response(
            request, restaurant, "host", refusal=refusal.message, status=409, room_form=True
        )
    except services.QueueError as refusal:
        # What the host typed stays, to be corrected.
        status = 400 if isinstance(refusal, services.TablesOutOfRange) else refusal.status_code
        return _screen_response(request, restaurant, "host", refusal=refusal.message, status=status)
    return _screen_response(
        request, restaurant, "host", message="Room and timing saved.", room_form=True
    )


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
