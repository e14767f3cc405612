"""What each live screen shows, rendered from the database with the same fragment templates
the pages use. Used both for the snapshot a socket gets on (re)connect and for pushes."""

from orders import selectors
from orders.models import RestaurantProfile
from orders.views.fragments import (
    DINER_FRAGMENTS,
    HOST_FRAGMENTS,
    KITCHEN_FRAGMENTS,
    host_context,
    kitchen_context,
    render_fragments,
)


def state_version(restaurant_id):
    return (
        RestaurantProfile.objects.filter(pk=restaurant_id)
        .values_list("state_version", flat=True)
        .first()
    )


def host_html(restaurant):
    return render_fragments(HOST_FRAGMENTS, host_context(restaurant))


def kitchen_html(restaurant):
    return render_fragments(KITCHEN_FRAGMENTS, kitchen_context(restaurant))


def diner_html_for_token(token):
    view = selectors.diner_view(token)
    return _diner_html(view)


def _diner_html(view):
    context = {"view": view, "order": view.order, "restaurant": view.order.restaurant}
    return render_fragments(DINER_FRAGMENTS, context)


def diner_html_for_restaurant(restaurant_id, extra_order_ids=()):
    """Every diner screen of a restaurant that may have changed: all waiting and notified
    parties (positions and waits move together) plus the orders named (e.g. one that just
    left the queue). Built from one snapshot: a fixed number of queries for any queue."""
    snap = selectors.queue_snapshot(restaurant_id)
    views = selectors.diner_views_from_snapshot(snap)
    seen = {view.order.pk for view in views}
    missing = [pk for pk in extra_order_ids if pk not in seen]
    if missing:
        views += selectors.diner_views_for_orders(missing)
    return snap.restaurant, [(view.order.pk, _diner_html(view)) for view in views]


