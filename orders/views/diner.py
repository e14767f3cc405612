"""The diner's pages: pick a restaurant, join its queue with an order, track your place."""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from django.conf import settings

from .. import qr, selectors, services
from ..forms import AnswerForm, ContactForm, JoinForm, TravelForm
from ..models import Order, OrderStatus, RestaurantProfile
from .fragments import board_context, diner_context
from .limits import join_wait_seconds


@require_safe
def home(request):
    only = RestaurantProfile.objects.all()[:2]
    if len(only) == 1:
        # One restaurant: its page says whether it is open, with its menu and wait.
        return redirect(only[0])
    restaurants = list(selectors.open_restaurants())
    return render(request, "diner/home.html", {"restaurants": restaurants})


def _restaurant_page(request, restaurant, form, status=200, refusal=None, existing=None):
    snap = selectors.queue_snapshot(restaurant, with_readers=False)
    return render(
        request,
        "diner/restaurant.html",
        {
            "restaurant": snap.restaurant,
            "snap": snap,
            "quote_accuracy": selectors.published_quote_accuracy(snap.restaurant, snap.now),
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
    push = bool(settings.VAPID_PUBLIC_KEY)
    if request.method == "GET":
        return _restaurant_page(request, restaurant, JoinForm(menu=menu, restaurant=restaurant, push_available=push))

    form = JoinForm(request.POST, menu=menu, restaurant=restaurant, push_available=push)
    over_limit = join_wait_seconds(request, restaurant)
    if over_limit is not None:
        return _too_many_joins(request, restaurant, form, *over_limit)
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
            notify_by_sms=data["notify_by_sms"],
            notify_by_push=data.get("notify_by_push", False),
            notify_by_email=data["notify_by_email"],
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


def _too_many_joins(request, restaurant, form, seconds, who):
    """429, with what was typed kept and when to try again (also in Retry-After)."""
    until = timezone.localtime(timezone.now() + timedelta(seconds=seconds))
    wait = f"{seconds} second{pluralize(seconds)}" if seconds < 90 else f"{round(seconds / 60)} minutes"
    if who == "address":
        reason = "Too many parties joined from your connection just now."
    else:
        reason = f"{restaurant.name} is getting more sign-ups than it can take just now."
    message = f"{reason} Please try again in {wait} (after {until:%H:%M:%S}); what you typed is kept below."
    form.is_valid()  # so the page shows what was typed, with its own errors if any
    response = _restaurant_page(request, restaurant, form, status=429, refusal=message)
    response["Retry-After"] = str(seconds)
    return response


def _diner_context_or_404(token):
    try:
        context = diner_context(token)
    except Order.DoesNotExist:
        raise Http404("No party in any queue has this link. Check the link you were sent.")
    context["vapid_public_key"] = settings.VAPID_PUBLIC_KEY
    return context


@require_safe
def order(request, token):
    context = _diner_context_or_404(token)
    travel = context["order"].travel_minutes
    if request.GET.get("saved") == "travel" and travel is not None:
        # Back from saving the travel time without JavaScript: said beside the form.
        context["travel_saved"] = _travel_saved_text(travel)
    return render(request, "diner/order.html", context)


@require_POST
def travel(request, token):
    """The diner says how far away they are ("I'm 15 minutes away") while waiting."""
    context = _diner_context_or_404(token)
    order = context["order"]
    form = TravelForm(request.POST)
    status, message = 200, None
    if not form.is_valid():
        status, message = 400, " ".join(form.errors["travel_minutes"])
    else:
        try:
            services.set_travel_minutes(order.pk, form.cleaned_data["travel_minutes"])
        except services.QueueError as refusal:
            status, message = refusal.status_code, refusal.message
    if request.headers.get("HX-Request") == "true":
        # The message alone: the wait this changes reaches the page through its live socket.
        saved = status == 200
        body = render_to_string(
            "diner/_travel_message.html",
            {
                "oob": True,
                "message": message or _travel_saved_text(form.cleaned_data["travel_minutes"]),
                "error": not saved,
                "saved": saved,
            },
            request,
        )
        return HttpResponse(body, status=status)
    if status != 200:
        context = _diner_context_or_404(token)
        context["refusal"] = message
        return render(request, "diner/order.html", context, status=status)
    return redirect(order.get_absolute_url() + "?saved=travel#travel-form")


def _travel_saved_text(minutes):
    return f"We'll tell you to head over in time for your {minutes}-minute trip."


@require_http_methods(["GET", "POST"])
def leave(request, token):
    context = _diner_context_or_404(token)
    order = context["order"]
    if request.method == "GET":
        if order.kitchen_has_it and not order.is_final and order.status != OrderStatus.READY:
            # Not a silent bounce back: why, and who to call instead.
            context["refusal"] = services.kitchen_has_it_message(order.restaurant, order)
            return render(request, "diner/order.html", context, status=409)
        if not order.can_leave:
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


@require_safe
def board(request, slug):
    """The lobby board, for a screen by the door: codes told to head over, the wait by party
    size, and a QR code to join. Public, like the join page: no names, phones or orders."""
    restaurant = RestaurantProfile.objects.filter(slug=slug).first()
    if restaurant is None:
        raise Http404("There is no restaurant at this address. Check the link or pick one below.")
    context = board_context(restaurant)
    context.update(restaurant=restaurant, join_url=qr.join_url(request, restaurant))
    return render(request, "board/board.html", context)


def _answered(request, token, status, message):
    """htmx: the message alone (the page's pieces change through its socket); plain HTTP:
    back to the page, or the page with the refusal."""
    if request.headers.get("HX-Request") == "true":
        body = render_to_string(
            "_flash.html", {"flash": {"message": message, "level": "error" if status != 200 else "success"}, "oob": True}, request
        )
        return HttpResponse(body, status=status)
    if status != 200:
        context = _diner_context_or_404(token)
        context["refusal"] = message
        return render(request, "diner/order.html", context, status=status)
    messages.info(request, message)
    return redirect(context_order(token))


def context_order(token):
    return Order.objects.only("public_token").get(public_token=token)


@require_POST
def answer(request, token):
    """"On my way" and "Running late" on the diner's page (the same answers as a text)."""
    order = _diner_context_or_404(token)["order"]
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _answered(request, token, 400, "Choose On my way, or how late you are running (1 to 60 minutes).")
    try:
        if form.cleaned_data["answer"] == "on_my_way":
            order = services.confirm_on_my_way(order.pk, via="page")
            message = "Thanks! The restaurant knows you're on your way."
        else:
            minutes = form.cleaned_data["minutes"] or 10
            order = services.running_late(order.pk, minutes, via="page")
            by = timezone.localtime(order.target_arrival_time)
            message = f"Thanks for telling us: we expect you by {by:%H:%M}."
    except services.QueueError as refusal:
        return _answered(request, token, refusal.status_code, refusal.message)
    return _answered(request, token, 200, message)


@require_POST
def contact(request, token):
    """The diner changes how to be told: text, this browser, email."""
    order = _diner_context_or_404(token)["order"]
    form = ContactForm(request.POST)
    if not form.is_valid():
        return _answered(request, token, 400, form.error_text())
    data = form.cleaned_data
    try:
        order = services.set_contact(
            order.pk, phone=data["phone"], email=data["email"], sms=data["notify_by_sms"],
            push=data["notify_by_push"] and bool(settings.VAPID_PUBLIC_KEY), email_chosen=data["notify_by_email"],
        )
    except services.InvalidJoin as refusal:
        return _answered(request, token, 400, refusal.message)
    except services.QueueError as refusal:
        return _answered(request, token, refusal.status_code, refusal.message)
    chosen = {"sms": "texts", "push": "this browser", "email": "email"}
    ways = [chosen[c] for c in order.notify_channels]
    message = f"Saved: we'll tell you by {' and '.join(ways)}, and on this page." if ways else "Saved: we'll tell you on this page only."
    return _answered(request, token, 200, message)
