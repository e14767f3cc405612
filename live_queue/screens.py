"""What each live screen shows, rendered from one read of a restaurant's state with the same
templates the pages use, and what changed between two renderings.

A screen is rendered as a `Rendered`: its pieces (each one element with an id: the host
stand's summary, the queue's head...) and its lists of rows (each row an element with an id:
a party in the queue, a table, a ticket). `changes(old, new)` is the push that turns the one
into the other: only the pieces and rows that differ, rows deleted, updated and inserted in
place (the htmx WebSocket extension swaps each top-level element of a message by its id, or
as its hx-swap-oob says). A (re)connecting socket gets `whole()`: every section of the screen.

The lobby board is rendered like the kitchen, once per state for all its screens, from a
context that holds codes and numbers only.

A diner's page is five small pieces rendered from frozen values (orders.selectors.DinerScreen);
a piece is sent only when its value changed, and a shared piece (a place in line, a wait) is
rendered once for every diner with the same value.
"""

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from django.template.loader import render_to_string

from orders import selectors
from orders.models import FINAL_STATUSES, OrderStatus, RestaurantProfile
from orders.views.fragments import (
    BOARD_LISTS,
    BOARD_PIECES,
    BOARD_SECTIONS,
    DINER_PIECES,
    HOST_LISTS,
    HOST_PIECES,
    HOST_SECTIONS,
    KITCHEN_LISTS,
    KITCHEN_PIECES,
    KITCHEN_SECTIONS,
    board_context_from,
    host_context_from,
    kitchen_context_from,
    render_piece,
)

_ROOT_ID = re.compile(r'\A\s*<[a-zA-Z][\w-]*[^>]*?\sid="([^"]+)"')


def element_id(html):
    """The id of a rendered piece's or row's root element."""
    found = _ROOT_ID.match(html)
    if found is None:
        raise ValueError(f"A live piece needs an id on its root element: {html[:80]!r}")
    return found.group(1)


def state_version(restaurant_id):
    return (
        RestaurantProfile.objects.filter(pk=restaurant_id)
        .values_list("state_version", flat=True)
        .first()
    )


def state_versions(restaurant_ids):
    """{restaurant id: state version}, one query for any number of restaurants."""
    return dict(
        RestaurantProfile.objects.filter(pk__in=list(restaurant_ids)).values_list(
            "pk", "state_version"
        )
    )


# ---------------------------------------------------------------------------------------
# Host stand and kitchen display: rendered, then compared row by row


@dataclass
class Rendered:
    """One staff screen at one state version."""

    sections: tuple
    context: dict
    pieces: dict  # element id -> html, in screen order
    lists: dict  # list id -> [(row id, html)], in order
    _whole: str = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def whole(self):
        """Every section of the screen: what a (re)connecting socket is sent."""
        with self._lock:
            if self._whole is None:
                self._whole = "".join(render_to_string(t, self.context) for t in self.sections)
            return self._whole


def _render_rows(list_spec, context):
    list_id, template, key, name = list_spec
    rows = []
    for item in context[key]:
        html = render_to_string(template, {**context, name: item})
        rows.append((element_id(html), html))
    return list_id, rows


def _render(sections, pieces, lists, context, rendered_lists=None):
    rendered_pieces = {}
    for template in pieces:
        html = render_to_string(template, context)
        rendered_pieces[element_id(html)] = html
    out_lists = dict(rendered_lists or {})
    for spec in lists:
        if spec[0] not in out_lists:
            list_id, rows = _render_rows(spec, context)
            out_lists[list_id] = rows
    return Rendered(sections, context, rendered_pieces, out_lists)


def render_host(snap, windows):
    """{window: Rendered} of the host stand showing the first `window` waiting parties, for
    each window asked. The rows are rendered once, for the largest."""
    widest = max(windows)
    context = host_context_from(snap, widest)
    shared = {}
    for spec in HOST_LISTS:
        list_id, rows = _render_rows(spec, context)
        shared[list_id] = rows
    out = {}
    for window in windows:
        lists = dict(shared)
        lists["queue-rows"] = shared["queue-rows"][:window]
        out[window] = _render(
            HOST_SECTIONS, HOST_PIECES, (), host_context_from(snap, window), lists
        )
    return out


def render_kitchen(snap):
    return _render(KITCHEN_SECTIONS, KITCHEN_PIECES, KITCHEN_LISTS, kitchen_context_from(snap))


def render_board(snap):
    return _render(BOARD_SECTIONS, BOARD_PIECES, BOARD_LISTS, board_context_from(snap))


def _delete(row_id):
    return f'<div id="{row_id}" hx-swap-oob="delete"></div>'


def _insert(where, rows):
    return f'<div hx-swap-oob="{where}">{"".join(rows)}</div>'


def list_changes(list_id, old_rows, new_rows):
    """The top-level elements that turn the rows `old_rows` into `new_rows` (both
    [(row id, html)] in order) in the list element `list_id`."""
    old, new = dict(old_rows), dict(new_rows)
    kept_before = [key for key, _ in old_rows if key in new]
    kept_after = [key for key, _ in new_rows if key in old]
    if kept_before != kept_after:
        # Rows changed places (a kitchen ticket's fire time moved ahead of another's): take
        # the rows out and put them back in order.
        out = [_delete(key) for key, _ in old_rows]
        if new_rows:
            out.append(_insert(f"beforeend:#{list_id}", [html for _, html in new_rows]))
        return out
    out = [_delete(key) for key, _ in old_rows if key not in new]
    out += [html for key, html in new_rows if key in old and old[key] != html]
    # New rows go before the next row already there, or at the end.
    group = []
    for key, html in new_rows:
        if key not in old:
            group.append(html)
        elif group:
            out.append(_insert(f"beforebegin:#{key}", group))
            group = []
    if group:
        out.append(_insert(f"beforeend:#{list_id}", group))
    return out


def changes(old, new):
    """The push that turns a screen showing `old` (a Rendered) into `new`: "" if nothing
    it shows changed."""
    out = [html for key, html in new.pieces.items() if old.pieces.get(key) != html]
    for list_id, rows in new.lists.items():
        out += list_changes(list_id, old.lists.get(list_id, []), rows)
    return "".join(out)


# ---------------------------------------------------------------------------------------
# Diners: small values, rendered once per value


_shared = OrderedDict()  # (template, value) -> html, for pieces that name nobody
_shared_lock = threading.Lock()
_SHARED_KEEP = 20_000


def _piece_html(template, name, value, shared):
    if not shared:
        return render_piece(template, name, value)
    key = (template, value)
    with _shared_lock:
        html = _shared.get(key)
        if html is not None:
            _shared.move_to_end(key)
            return html
    html = render_piece(template, name, value)
    with _shared_lock:
        _shared[key] = html
        while len(_shared) > _SHARED_KEEP:
            _shared.popitem(last=False)
    return html


def render_diner(screen, old_screen=None, old_html=None):
    """The html of each piece of a diner's page ({field: html}), rendering only the pieces
    whose value differs from `old_screen` (whose html is `old_html`)."""
    html = {}
    for template, name, shared in DINER_PIECES:
        value = getattr(screen, name)
        if old_html is not None and getattr(old_screen, name) == value:
            html[name] = old_html[name]
        else:
            html[name] = _piece_html(template, name, value, shared)
    return html


def diner_whole(screen, html):
    """Every piece of a diner's page, for a socket (re)connecting. A party no longer waiting
    has no place in line on its page, so those pieces are left out."""
    return "".join(
        html[name]
        for _, name, _ in DINER_PIECES
        if screen.status.status == OrderStatus.IN_QUEUE or name in ("status", "actions")
    )


def diner_changes(old_screen, new_screen, html):
    """The pieces of a diner's page that differ between two DinerScreens."""
    if old_screen.status.status == OrderStatus.REQUESTED:
        # A page that asked to join has no place in line on it; once the host answers it
        # loads itself again (static/js/diner.js), so only its status is sent.
        return html["status"] if old_screen.status != new_screen.status else ""
    return "".join(
        html[name]
        for _, name, _ in DINER_PIECES
        if getattr(old_screen, name) != getattr(new_screen, name)
    )


# ---------------------------------------------------------------------------------------
# One read of a restaurant's state


@dataclass
class LiveState:
    """A restaurant's screens at one state version, as one server process shows them."""

    version: int
    snap: object
    with_items: bool
    with_readers: bool  # what other apps add to the host stand's rows (messages) was read
    diners: dict  # order id -> DinerScreen of each party whose page is watched here
    host: dict = field(default_factory=dict)  # window -> Rendered
    kitchen: Rendered = None
    board: Rendered = None
    diner_html: dict = field(default_factory=dict)  # order id -> {piece: html}
    asked_for: set = field(default_factory=set)  # diners' orders looked for in this state


def read_state(
    restaurant_id, previous, *, read, host_windows=(), kitchen=False, diner_orders=(),
    whole_host=(), whole_kitchen=False, board=False, whole_board=False,
):
    """The state and renderings a restaurant's watchers need (runs on a database thread).

    `read`: read the database again (else render more of `previous`). Reads the version
    first, so what is rendered is at least as new as the version it is labelled with; a
    fixed number of queries however many parties wait and however many screens watch.
    Returns None when the restaurant no longer exists."""
    hosts = bool(host_windows)
    if (
        read
        or previous is None
        or (kitchen and not previous.with_items)
        or (hosts and not previous.with_readers)
    ):
        version = state_version(restaurant_id)
        if version is None:
            return None
        # The dishes only for a kitchen display, the messages only for a host stand.
        with_items = kitchen or bool(previous and previous.with_items)
        with_readers = hosts or bool(previous and previous.with_readers)
        snap = selectors.queue_snapshot(
            restaurant_id, with_items=with_items, with_readers=with_readers
        )
        # Only the pages someone watches in this process: a queue of thousands with a few
        # phones open here costs a few screens.
        state = LiveState(
            version, snap, with_items, with_readers,
            selectors.diner_screens_from_snapshot(snap, diner_orders),
        )
        if previous is not None:
            # A party that has left for good shows the same page for ever: no need to read it.
            state.diners.update(
                (pk, screen)
                for pk, screen in previous.diners.items()
                if pk not in state.diners and screen.status.status in FINAL_STATUSES
            )
    else:
        # More renderings of the same state, for sockets that have just joined. (Only the
        # feed's one task uses a state, and it is waiting for this: no one else reads it.)
        state = previous

    state.asked_for.update(diner_orders)
    missing = [pk for pk in diner_orders if pk not in state.diners]
    if missing:  # phones that joined since the read: from the same snapshot
        state.diners.update(selectors.diner_screens_from_snapshot(state.snap, missing))
        missing = [pk for pk in missing if pk not in state.diners]
    if missing:  # parties no longer in the queue (seated and gone, left, no-show)
        state.diners.update(selectors.diner_screens_for_orders(missing))
    windows = set(host_windows) - set(state.host)
    if windows:
        state.host.update(render_host(state.snap, windows))
    if kitchen and state.kitchen is None:
        state.kitchen = render_kitchen(state.snap)
    if board and state.board is None:
        state.board = render_board(state.snap)
    for pk in diner_orders:
        screen = state.diners.get(pk)
        if screen is None:
            continue
        before = previous.diners.get(pk) if previous is not None else None
        before_html = previous.diner_html.get(pk) if previous is not None else None
        if before is screen and pk in state.diner_html:
            continue
        state.diner_html[pk] = render_diner(screen, before, before_html)
    # Whole screens for sockets that are (re)connecting, rendered here rather than on the
    # event loop.
    for window in whole_host:
        state.host[window].whole()
    if whole_kitchen:
        state.kitchen.whole()
    if whole_board:
        state.board.whole()
    return state
