"""The host stand and the kitchen display. Each action parses the request, calls one
service, and answers with a short message (htmx: the screen itself changes through its live
socket, which hears of every committed change) or a redirect back (plain HTTP)."""

import time

from django.contrib import messages
from django.contrib.auth.views import LoginView
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from .. import qr, selectors, services
from ..forms import AddPartyForm, RoomSettingsForm
from ..models import DiningTable, Order, RestaurantProfile
from .access import manager_of_restaurant, staff_of_restaurant
from .fragments import (
    ADD_PARTY_FORM,
    ADD_PARTY_QUOTE,
    ADD_PARTY_RESULT,
    ROOM_FORM,
    host_context,
    kitchen_context,
    queue_window,
    render_flash,
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


def _room_form_context(restaurant):
    """The host stand's Room and timing form, filled in with what is saved now."""
    sizes = selectors.table_sizes(restaurant)
    return {
        "restaurant": restaurant,
        "room_form": RoomSettingsForm.for_restaurant(
            restaurant, sizes, services.room_fingerprint(restaurant, sizes)
        ),
    }


def _host_page_context(request, restaurant, window, *, add_form=None, added=None, quote=None):
    """The host stand's sections plus its forms (Add party; for managers, Room and timing):
    never part of a push."""
    context = host_context(restaurant, window)
    restaurant = context["snap"].restaurant
    if request.can_manage:
        context.update(_room_form_context(restaurant))
    add_form = add_form or AddPartyForm(restaurant=restaurant)
    if quote is None and not add_form.is_bound:
        # The wait for a couple, from the snapshot the page already read.
        snap = context["snap"]
        travel = restaurant.default_travel_minutes
        quote = {"quote": services.Quote(
            party_size=2, position=snap.waiting_count + 1,
            wait_minutes=snap.plan.newcomer_wait(2, travel), travel_minutes=travel,
        )} if snap.plan.largest_table() >= 2 else None
    context.update(
        add_form=add_form,
        add_quote=quote if quote is not None else _quote_for(restaurant, add_form),
        added=_added_party(request, added) if added is not None else None,
        join_url=qr.join_url(request, restaurant),
    )
    return context


@staff_of_restaurant
def host_stand(request, restaurant):
    window = queue_window(request.GET.get("rows"))
    # Back from "Add party" without JavaScript: the party just added, with its page's link
    # (only a party the host added: the stand hands out no other party's link).
    added_id = _whole_number(request.GET.get("added"))
    added = (
        Order.objects.filter(pk=added_id, restaurant=restaurant, added_by_host=True).first()
        if added_id
        else None
    )
    return render(
        request, "staff/host.html", _host_page_context(request, restaurant, window, added=added)
    )


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
    "accept": (services.accept_join_request, "host", "{name} ({code}) is in the queue now."),
    "decline": (
        services.decline_join_request, "host", "{name} ({code}) was told the restaurant cannot take them.",
    ),
    "receive": (services.accept_ticket, "kitchen", "Ticket {code} marked as seen; not cooking yet."),
    "prepare": (services.start_preparing, "kitchen", "Cooking started for ticket {code}."),
    "food-ready": (services.mark_food_ready, "kitchen", "Food for {code} is ready."),
}


def _act(request, service, *args, **kwargs):
    """Call one service, noting how long the queue's own work took (sent back in a
    Server-Timing header, so the rest of a click's time can be told apart from it)."""
    started = time.perf_counter()
    try:
        return service(*args, **kwargs)
    finally:
        request.service_seconds = time.perf_counter() - started


def _screen_response(
    request, restaurant, screen, *, message=None, refusal=None, status=200, room_form=False
):
    response = _answer(
        request, restaurant, screen, message=message, refusal=refusal, status=status,
        room_form=room_form,
    )
    service_seconds = getattr(request, "service_seconds", None)
    if service_seconds is not None:
        response["Server-Timing"] = f'service;dur={service_seconds * 1000:.1f};desc="the queue\'s own work"'
    return response


def _answer(request, restaurant, screen, *, message, refusal, status, room_form):
    """The answer to an action. htmx: the message alone, since the screen itself changes
    through its live socket (rendering it here would make every click as slow as the queue
    is long); `room_form` sends the host stand's Room and timing form back too, showing what
    is saved now (it is never part of a push). Plain HTTP: back to the screen, or the whole
    current screen with the refusal and its status code."""
    if request.headers.get("HX-Request") == "true":
        body = ""
        if refusal or message:
            body = render_flash(refusal or message, "error" if refusal else "success", request)
        if room_form:
            saved = RestaurantProfile.objects.get(pk=restaurant.pk)  # as the save left it
            body += render_to_string(ROOM_FORM, {**_room_form_context(saved), "oob": True}, request)
        response = HttpResponse(body, status=status)
        if status == 409:
            # Refused because the screen was behind what is saved: static/js/live.js takes
            # a new socket, whose first message is the whole screen as it is now.
            response["HX-Trigger"] = "screen-behind"
        return response
    if refusal:
        if screen == "kitchen":
            context, page = kitchen_context(restaurant), "staff/kitchen.html"
        else:
            context = _host_page_context(request, restaurant, queue_window(None))
            page = "staff/host.html"
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
    table_id = None
    if action == "seat" and request.POST.get("table"):
        # The host picked a table (another free one that fits, or the one it was expected at).
        table_id = _whole_number(request.POST.get("table"))
        if table_id is None:
            return _screen_response(request, restaurant, screen, refusal="Unknown table.", status=400)
    try:
        if table_id is not None:
            order = _act(request, service, order.pk, request.user, table_id)
        else:
            _act(request, service, order.pk, request.user)
    except services.QueueError as refusal:
        return _screen_response(
            request, restaurant, screen, refusal=refusal.message, status=refusal.status_code
        )
    message = done.format(name=order.customer_name, code=order.order_code)
    if action == "seat" and order.table is not None:
        message = f"{order.customer_name} ({order.order_code}) is seated at table {order.table.number}."
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
        order = _act(request, services.notify_next, restaurant.pk, request.user, expected)
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
    if party_size is not None and not 1 <= party_size <= services.MAX_WALK_IN_PARTY:
        return _screen_response(
            request, restaurant, "host", status=400,
            refusal=f"A walk-in party has between 1 and {services.MAX_WALK_IN_PARTY} people.",
        )
    try:
        if action == "seat-walk-in":
            _act(
                request, services.seat_walk_in,
                restaurant.pk, request.user, table_id=table.pk, party_size=party_size
            )
            message = f"Walk-in seated at table {table.number}."
        elif action == "walk-in-left":
            _act(request, services.walk_in_left, restaurant.pk, request.user, table_id=table.pk)
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
        _act(
            request, services.update_room,
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
    _act(request, services.set_accepting_joins, restaurant.pk, value == "open", request.user)
    message = "The queue is open for new parties." if value == "open" else "The queue is closed to new parties."
    return _screen_response(request, restaurant, "host", message=message)


@require_POST
@staff_of_restaurant
def remove_selected(request, restaurant):
    """"Remove selected" on the host stand: first a page that lists the ticked parties and
    asks to confirm (a plain form, so it works without JavaScript), then, confirmed, all of
    them removed in one go."""
    raw = request.POST.getlist("order")
    ids = [_whole_number(value) for value in raw]
    if not raw:
        return _screen_response(
            request, restaurant, "host", status=400,
            refusal="Tick the parties to remove first, then press Remove selected.",
        )
    if None in ids or len(ids) > services.MAX_PARTIES_AT_ONCE:
        return _screen_response(request, restaurant, "host", refusal="Unknown party.", status=400)
    if request.POST.get("confirm") != "yes":
        parties = list(Order.objects.filter(restaurant=restaurant, pk__in=ids))
        parties.sort(key=lambda o: (o.queue_position is None, o.queue_position or 0, o.pk))
        return render(
            request,
            "staff/remove_confirm.html",
            {"restaurant": restaurant, "parties": parties, "gone": len(set(ids)) - len(parties)},
        )
    try:
        removed = _act(request, services.remove_parties, restaurant.pk, ids, request.user)
    except services.QueueError as refusal:
        return _screen_response(
            request, restaurant, "host", refusal=refusal.message, status=refusal.status_code
        )
    names = ", ".join(f"{o.customer_name} ({o.order_code})" for o in removed)
    count = len(removed)
    message = f"Removed {count} part{'y' if count == 1 else 'ies'}: {names}."
    return _screen_response(request, restaurant, "host", message=message)


# ---------------------------------------------------------------------------------------
# Add party: a guest who walked up or phoned


def _quote_for(restaurant, form):
    """The wait a party of the size typed in `form` would be quoted now ({"error": ...} for
    a size the queue does not take; None before a size is typed)."""
    data = form.data if form.is_bound else {}
    size = _whole_number(data.get("party_size")) if form.is_bound else 2
    raw_travel = (data.get("travel_minutes") or "").strip() if form.is_bound else ""
    travel = _whole_number(raw_travel) if raw_travel else None
    if size is None or (raw_travel and travel is None):
        return None
    try:
        return {"quote": services.quote(restaurant.pk, size, travel)}
    except services.InvalidJoin as refusal:
        return {"error": " ".join(refusal.errors.values())}


def _add_party_answer(request, restaurant, form, *, status, refusal=None, added=None, quote=None):
    """The answer to Add party. htmx: the form (emptied once the party is in, or with its
    errors), the quote, the party added and a message, each swapped in by id; the queue
    itself changes through the socket. Plain HTTP: the host stand with the same."""
    if quote is None and added is None:
        quote = _quote_for(restaurant, form)
    if request.headers.get("HX-Request") == "true":
        context = {
            "restaurant": restaurant,
            "add_form": form,
            "add_quote": quote,
            "added": _added_party(request, added) if added else None,
            "oob": True,
        }
        body = render_to_string(ADD_PARTY_FORM, context, request)
        if added is not None:
            body += render_to_string(ADD_PARTY_RESULT, context, request)
            body += render_flash(_added_message(added), "success", request)
        elif refusal or form.errors:
            body += render_flash(refusal or " ".join(form.all_errors()), "error", request)
        else:
            body += render_to_string("_flash.html", {"oob": True}, request)  # an older message goes
        return HttpResponse(body, status=status)
    if added is not None:
        messages.success(request, _added_message(added))
        return redirect(reverse("staff:host", args=[restaurant.slug]) + f"?added={added.pk}#add-party")
    context = _host_page_context(request, restaurant, queue_window(None), add_form=form, quote=quote)
    context["add_open"] = True
    if refusal or form.errors:
        context["flash"] = {"message": refusal or " ".join(form.all_errors()), "level": "error"}
    return render(request, "staff/host.html", context, status=status)


def _added_message(order):
    place = f"#{order.queue_position} in line" if order.queue_position else "in line"
    wait = (
        f", quoted about {order.quoted_wait_minutes} min"
        if order.quoted_wait_minutes is not None
        else ""
    )
    return f"{order.customer_name} ({order.order_code}) is in the queue: {place}{wait}."


def _added_party(request, order):
    """The party just added, with its page's address (for the host to read out, show as a
    QR code, or send) and ready-made text and email links."""
    if order is None:
        return None
    link = request.build_absolute_uri(order.get_absolute_url())
    text = (
        f"{order.restaurant.name}: you're in the queue, code {order.order_code}. "
        f"Your place and when to come: {link}"
    )
    return {"order": order, "link": link, "sms": _uri("sms", order.phone, body=text),
            "mailto": _uri("mailto", order.email, subject=f"Your place in {order.restaurant.name}'s queue", body=text)}


def _uri(scheme, to, **fields):
    from urllib.parse import quote

    if not to:
        return ""
    query = "&".join(f"{key}={quote(value)}" for key, value in fields.items())
    if scheme == "sms":
        to = "".join(to.split())  # "+44 7911 123456": a number, without its spaces
    return f"{scheme}:{quote(to, safe='+@')}?{query}"


@require_POST
@staff_of_restaurant
def add_party(request, restaurant):
    """"Add party" on the host stand. "Check the wait" (the `check` button, for pages
    without JavaScript; with it the wait shows as the size is typed) saves nothing."""
    form = AddPartyForm(request.POST, restaurant=restaurant)
    if not form.is_valid():
        return _add_party_answer(request, restaurant, form, status=400)
    data = form.cleaned_data
    if request.POST.get("check"):
        return _add_party_answer(request, restaurant, form, status=200)
    try:
        order = _act(
            request, services.add_party,
            restaurant.pk,
            request.user,
            customer_name=data["customer_name"],
            party_size=data["party_size"],
            phone=data["phone"],
            email=data["email"],
            note=data["note"],
            travel_minutes=data["travel_minutes"],
            submission_key=data["submission_key"],
        )
    except services.InvalidJoin as refusal:
        form.apply_service_errors(refusal.errors)
        return _add_party_answer(request, restaurant, form, status=400)
    except services.DuplicateJoin as refusal:
        # A second click on the same form: the party is in already, once.
        order = refusal.order
        order.restaurant = restaurant
        return _add_party_answer(
            request, restaurant, AddPartyForm(restaurant=restaurant), status=200, added=order
        )
    except services.QueueError as refusal:
        return _add_party_answer(
            request, restaurant, form, status=refusal.status_code, refusal=refusal.message
        )
    order.restaurant = restaurant
    return _add_party_answer(
        request, restaurant, AddPartyForm(restaurant=restaurant), status=200, added=order
    )


@require_safe
@staff_of_restaurant
def add_party_quote(request, restaurant):
    """The wait a party of the size being typed into Add party would be quoted, as the host
    types it (htmx). Saves nothing."""
    form = AddPartyForm(request.GET, restaurant=restaurant)
    return render(
        request, ADD_PARTY_QUOTE, {"restaurant": restaurant, "add_quote": _quote_for(restaurant, form)}
    )


# ---------------------------------------------------------------------------------------
# The QR poster, and the QR code alone


@require_safe
@staff_of_restaurant
def poster(request, restaurant):
    """A printable poster (A4 or US letter): scan to join the queue."""
    paper = "letter" if request.GET.get("paper") == "letter" else "a4"
    snap = selectors.queue_snapshot(restaurant)
    return render(
        request,
        "staff/poster.html",
        {
            "restaurant": snap.restaurant,
            "snap": snap,
            "join_url": qr.join_url(request, restaurant),
            "paper": paper,
            "printed_at": timezone.localtime(snap.now),
        },
    )


@require_safe
@staff_of_restaurant
def poster_qr(request, restaurant, kind):
    """The QR code of the join link alone, as an SVG or PNG file to download."""
    url = qr.join_url(request, restaurant)
    if kind == "svg":
        response = HttpResponse(qr.svg_file(url), content_type="image/svg+xml")
    else:
        response = HttpResponse(qr.png_file(url), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="{restaurant.slug}-join-queue-qr.{kind}"'
    return response
