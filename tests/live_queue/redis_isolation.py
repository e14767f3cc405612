"""Keep this test run's pushes to itself on a shared Redis.

Redis pub/sub channels are global to a Redis server, and every test database numbers its
restaurants and orders from 1: two suites running at once against one Redis (CI and a
developer, say) would hear each other's "restaurant.1.host". Unless CHANNEL_LAYER_PREFIX was
given, the run gets a prefix of its own; the environment carries it to the servers the
browser tests start, so they share it with the test process."""

import os
import uuid

from django.conf import settings


def isolate_this_run():
    config = settings.CHANNEL_LAYERS["default"].get("CONFIG")
    if config is None:  # the in-memory layer: nothing is shared
        return
    if not os.environ.get("CHANNEL_LAYER_PREFIX"):
        os.environ["CHANNEL_LAYER_PREFIX"] = f"rt-test-{uuid.uuid4().hex[:10]}"
    # Settled at collection, before any test asks for the layer (layers are built on first use).
    config["prefix"] = os.environ["CHANNEL_LAYER_PREFIX"]
