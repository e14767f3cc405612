"""The live side's database work, on a fixed number of threads per server process.

Every read a live screen needs (a restaurant's state, the version check, diners' links) runs
here, never on the event loop and never one thread per socket: LIVE_QUEUE_DB_THREADS threads,
each keeping one connection, so the live screens of a process hold at most that many
PostgreSQL connections however many sockets are open (README "Database connections").
"""

import asyncio
import concurrent.futures
import logging
import queue
import threading

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)


class DatabaseWorkers:
    def __init__(self, size=None):
        self._size = size
        self._jobs = queue.SimpleQueue()
        self._threads = []
        self._lock = threading.Lock()

    @property
    def size(self):
        return self._size or settings.LIVE_QUEUE_DB_THREADS

    def submit(self, fn, *args, **kwargs):
        future = concurrent.futures.Future()
        with self._lock:
            if len(self._threads) < self.size:
                thread = threading.Thread(
                    target=self._work, name=f"live-db-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        self._jobs.put((future, fn, args, kwargs))
        return future

    async def run(self, fn, *args, **kwargs):
        return await asyncio.wrap_future(self.submit(fn, *args, **kwargs))

    def _work(self):
        while True:
            job = self._jobs.get()
            if job is None:
                break
            future, fn, args, kwargs = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = self._call(fn, args, kwargs)
            except BaseException as error:  # handed to whoever awaits it
                future.set_exception(error)
            else:
                future.set_result(result)
        connections.close_all()

    @staticmethod
    def _call(fn, args, kwargs):
        try:
            return fn(*args, **kwargs)
        except (InterfaceError, OperationalError):
            # A connection the server dropped (a restart, an idle timeout) fails once; the
            # reads here are safe to repeat on a fresh one. A database that is really down
            # fails again and the caller retries later.
            connections["default"].close()
            return fn(*args, **kwargs)

    def shutdown(self):
        """Stop the threads and close their connections (tests, process exit)."""
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._jobs.put(None)
        for thread in threads:
            thread.join(timeout=10)


workers = DatabaseWorkers()
