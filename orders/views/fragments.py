"""The pieces each screen is made of. A page renders them whole; an htmx action answers with
them; live_queue pushes them. Every fragment's root element has a stable id."""

from django.template.loader import render_to_string

from .. import clock, selectors

HOST_FRAGMENTS = (
    "staff/_host_summary.html",
    "staff/_host_tables.html",
    "staff/_host_join_requests.html",
    "staff/_host_queue.html",
    "staff/_host_heading_over.html",
    "staff/_host_seated.html",
)
# The host stand's Room and timing form: sent back to its own save, never pushed, so a
# live update never wipes what a host is typing in it.
ROOM_FORM = "staff/_room_settings_form.html"
KITCHEN_FRAGMENTS = ("staff/_kitchen_tickets.html",)
DINER_FRAGMENTS = (
    "diner/_order_status.html",
    "diner/_order_position.html",
    "diner/_order_actions.html",
)


def host_context(restaurant):
    return {"restaurant": restaurant, "snap": selectors.queue_snapshot(restaurant)}


def kitchen_context(restaurant):
    now = clock.now()
    return {
        "restaurant": restaurant,
        "tickets": selectors.kitchen_tickets(restaurant, now=now),
        "now": now,
    }


def diner_context(token):
    view = selectors.diner_view(token)
    return {"view": view, "order": view.order, "restaurant": view.order.restaurant}


def render_fragments(templates, context, request=None, *, oob=True):
    context = {**context, "oob": oob}
    return "".join(render_to_string(name, context, request=request) for name in templates)


def render_flash(message, level="error", request=None):
    return render_to_string(
        "_flash.html", {"flash": {"message": message, "level": level}, "oob": True}, request
    )
