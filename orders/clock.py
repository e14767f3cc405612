"""The domain's one reading of the time of day.

Everything in orders/ asks `clock.now()` instead of the wall clock, so tests and the
simulator can drive time with `clock.use(...)`.
"""

import contextlib
import threading

from django.utils import timezone

_local = threading.local()
_global_source = None


def now():
    source = getattr(_local, "source", None) or _global_source
    return source() if source is not None else timezone.now()


@contextlib.contextmanager
def use(source, *, all_threads=False):
    """Within the block, `now()` returns `source()`; a datetime is accepted as a frozen time."""
    global _global_source
    if not callable(source):
        frozen = source
        source = lambda: frozen  # noqa: E731
    if all_threads:
        previous, _global_source = _global_source, source
    else:
        previous, _local.source = getattr(_local, "source", None), source
    try:
        yield
    finally:
        if all_threads:
            _global_source = previous
        else:
            _local.source = previous


class ManualClock:
    """A clock that moves only when told to: the simulator's and the tests' time."""

    def __init__(self, start):
        self.current = start

    def __call__(self):
        return self.current

    def advance(self, delta):
        self.current = self.current + delta
        return self.current

    def set(self, moment):
        self.current = moment
