"""How fast one socket may talk: LIVE_QUEUE_SOCKET_MESSAGES_PER_SECOND, in bursts of
BURST_FACTOR times as many. A page sends a heartbeat every 20 seconds and a host's "Show more"
now and then; a client over the rate is no page of ours, and its socket is closed with 1008
(policy violation).

The rate is kept in daphne's frame handler (`guard_daphne`), not in the consumer: a client
sending tens of thousands of frames a second fills the socket's queue far faster than the
application reads it, so the event loop would spend itself parsing frames and queueing them
(every other socket and every page load of the process waiting: /healthz took 18 s) long
before a consumer saw its twenty-first message. So the flood is cut where it is read: frames
over the rate are dropped unqueued and the socket is closed with 1008.
"""

import time

from django.conf import settings

CLOSE_TOO_CHATTY = 1008
BURST_FACTOR = 4
CLOSE_ANSWER_SECONDS = 5


class MessageRate:
    """A token bucket: `allows()` is False once the socket talks faster than the rate."""

    def __init__(self):
        self.allowance = None
        self.at = 0.0

    def allows(self):
        rate = settings.LIVE_QUEUE_SOCKET_MESSAGES_PER_SECOND
        burst = rate * BURST_FACTOR
        now = time.monotonic()
        if self.allowance is None:
            self.allowance = burst
        else:
            self.allowance = min(burst, self.allowance + (now - self.at) * rate)
        self.at = now
        if self.allowance < 1:
            return False
        self.allowance -= 1
        return True


def guard_daphne():
    """Keep the rate in daphne's WebSocket frame handler (once per process)."""
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:  # served by another ASGI server: the consumer's rule stands alone
        return
    if getattr(WebSocketProtocol.onMessage, "rate_guarded", False):
        return
    read_frame = WebSocketProtocol.onMessage

    def onMessage(self, payload, isBinary):  # noqa: N802 (autobahn's name)
        state = self.__dict__
        if state.get("readytable_cut"):
            return  # over the rate: dropped unread while the socket closes
        rate = state.get("readytable_rate")
        if rate is None:
            rate = state["readytable_rate"] = MessageRate()
        if not rate.allows():
            # Close with the reason; daphne tells the application once the socket is gone.
            # (autobahn's public sendClose allows only 1000 and 3000-4999: 1008, the code the
            # standard gives a policy violation, goes through the frame-level call.)
            state["readytable_cut"] = True
            # A client busy flooding takes a while to read the close: give it a few seconds
            # to answer (its frames cost nothing meanwhile) before the connection is dropped.
            self.closeHandshakeTimeout = CLOSE_ANSWER_SECONDS
            self.sendCloseFrame(code=CLOSE_TOO_CHATTY, isReply=False)
            return
        return read_frame(self, payload, isBinary)

    onMessage.rate_guarded = True
    WebSocketProtocol.onMessage = onMessage
