"""Staff screens end with the staff member's access.

A host stand or kitchen display shows names and phone numbers, so its socket must close
(4403) as soon as whoever opened it may no longer see them: they logged out, their account
was deactivated or deleted, or they were taken off the restaurant's staff. Each of those
publishes one message to a group every server process listens to (live_queue.feeds), and
each process checks its staff sockets of that user (or restaurant) against the database and
closes those no longer allowed. The channel layer delivers at most once, so every process
also checks all its staff sockets every STAFF_RECHECK_SECONDS.
"""

import hashlib
import logging
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.crypto import constant_time_compare

from orders.models import RestaurantProfile

from . import broadcast, groups

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "staff.access"
STAFF_RECHECK_SECONDS = 30.0


def still_allowed(user_id, session_key, restaurant_id):
    """Whether the session a staff socket was opened with still lets its user watch the
    restaurant: the session still exists and is that user's (not logged out, password not
    changed since), the account is active, and they are on the restaurant's staff."""
    if not session_key or user_id is None:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    data = store.load()
    if str(data.get(SESSION_KEY)) != str(user_id):
        return False
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not user.is_active:
        return False
    if data.get(BACKEND_SESSION_KEY) and hasattr(user, "get_session_auth_hash"):
        if not constant_time_compare(data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
            return False
    restaurant = RestaurantProfile.objects.filter(pk=restaurant_id).first()
    return restaurant is not None and restaurant.is_staffed_by(user)


def who_may_no_longer_watch(sockets):
    """The staff sockets (each with user_id, session_key, restaurant_id) to close."""
    return [
        socket
        for socket in sockets
        if not still_allowed(socket.user_id, socket.session_key, socket.restaurant_id)
    ]


def _announce(**about):
    message = {"type": MESSAGE_TYPE, **about}
    transaction.on_commit(lambda: broadcast.publish_to(groups.staff_access(), message))


def session_mark(session_key):
    """What a message about a session says of it: a digest, never the key itself."""
    return hashlib.sha256(f"readytable-session:{session_key}".encode()).hexdigest()[:32]


def on_logged_out(sender, request, user, **kwargs):
    # Sent before the session is flushed: the sockets of this session are closed by its
    # mark, without asking the database whether it is gone yet. (Other sessions of the same
    # person, on other devices, are still logged in.)
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        _announce(session=session_mark(session_key))


def on_user_saved(sender, instance, created, **kwargs):
    if not created and not instance.is_active:
        _announce(user=instance.pk)


def on_user_deleted(sender, instance, **kwargs):
    _announce(user=instance.pk)


def on_staff_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_remove", "post_clear"):
        return
    if reverse:  # user.staffed_restaurants.remove(...): this user, those restaurants
        _announce(user=instance.pk)
    elif pk_set:
        for user_id in pk_set:
            _announce(user=user_id)
    else:  # restaurant.staff.clear()
        _announce(restaurant=instance.pk)


def on_membership_deleted(sender, instance, **kwargs):
    # The staff list edited row by row (the admin's inline), not through the relation.
    user_id = getattr(instance, "user_id", None)
    if user_id is not None:
        _announce(user=user_id)


def connect():
    user_model = get_user_model()
    through = RestaurantProfile.staff.through
    user_logged_out.connect(on_logged_out, dispatch_uid="live_queue.access.logged_out")
    post_save.connect(on_user_saved, sender=user_model, dispatch_uid="live_queue.access.user_saved")
    post_delete.connect(on_user_deleted, sender=user_model, dispatch_uid="live_queue.access.user_deleted")
    m2m_changed.connect(on_staff_changed, sender=through, dispatch_uid="live_queue.access.staff")
    post_delete.connect(on_membership_deleted, sender=through, dispatch_uid="live_queue.access.member")
