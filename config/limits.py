"""A cap on how many HTTP requests one server process serves at once."""

import asyncio


class ConcurrencyLimit:
    """ASGI middleware: at most `limit` requests inside `app` at a time; the others wait in
    line (cheaply, on the event loop) instead of each taking a thread and a database
    connection of its own. Under daphne every request Django serves runs in a thread of its
    own, holding its own connection while it runs."""

    def __init__(self, app, limit):
        self.app = app
        self.limit = limit
        self._slots = {}  # event loop -> semaphore

    def _semaphore(self):
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.limit)
        return slots

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        async with self._semaphore():
            return await self.app(scope, receive, send)
