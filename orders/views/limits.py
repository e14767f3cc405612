"""How many joins one address, and one restaurant, may make (django-ratelimit): every POST
of a restaurant's join form counts, in fixed windows of the configured rates
(JOIN_RATE_PER_ADDRESS, JOIN_RATE_PER_RESTAURANT). The counts live in the cache: Redis with
REDIS_URL, shared by every server process; each process's memory without it.

A cache that does not answer lets the join through (logged): the join's own rules and the
queue's cap still hold, and the database, not the cache, is what a join needs."""

import logging

from django.conf import settings
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)


def _restaurant_key(restaurant):
    return lambda group, request: str(restaurant.pk)


def join_wait_seconds(request, restaurant):
    """None when this join may go ahead; otherwise (seconds to wait, who is over the limit:
    "address" or "restaurant"). Counts the attempt."""
    limits = (
        ("address", "ip", settings.JOIN_RATE_PER_ADDRESS),
        ("restaurant", _restaurant_key(restaurant), settings.JOIN_RATE_PER_RESTAURANT),
    )
    for who, key, rate in limits:
        try:
            usage = get_usage(
                request, group=f"join-per-{who}", key=key, rate=rate, method="POST", increment=True
            )
        except Exception:
            logger.warning("Join limit per %s not counted: the cache did not answer", who, exc_info=True)
            continue
        if usage is not None and usage["should_limit"]:
            return max(1, usage["time_left"]), who
    return None
