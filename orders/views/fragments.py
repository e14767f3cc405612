"""The pieces each screen is made of. A page renders them whole; live_queue renders the same
templates for its pushes, piece by piece and row by row. Every piece's and every row's root
element has a stable id, which is how a push finds what it replaces."""

from django.template.loader import render_to_string

from .. import selectors

# The host stand: sections the page is made of (and a (re)connecting socket is sent), the
# pieces inside them, and the lists whose rows are pushed one by one.
HOST_SECTIONS = (
    "staff/_host_summary.html",
    "staff/_host_tables.html",
    "staff/_host_join_requests.html",
    "staff/_host_queue.html",
    "staff/_host_heading_over.html",
    "staff/_host_seated.html",
)
HOST_PIECES = (
    "staff/_host_summary.html",
    "staff/_host_join_requests.html",  # a few parties at most: sent whole when it changes
    "staff/_tables_head.html",
    "staff/_queue_head.html",
    "staff/_queue_more.html",
    "staff/_heading_head.html",
    "staff/_seated_head.html",
)
# (list id, row template, the context's rows, the name a row has in its template)
HOST_LISTS = (
    ("table-cards", "staff/_table_card.html", "tables", "table"),
    ("queue-rows", "staff/_queue_row.html", "queue_rows", "order"),
    ("heading-rows", "staff/_heading_row.html", "heading_rows", "order"),
    ("seated-rows", "staff/_seated_row.html", "seated_rows", "order"),
)
# The host stand's Room and timing form: sent back to its own save, never pushed, so a
# live update never wipes what a host is typing in it.
ROOM_FORM = "staff/_room_settings_form.html"
# Add party (a walk-up or phone-in): outside every push too, like the Room and timing form.
ADD_PARTY_FORM = "staff/_add_party_form.html"
ADD_PARTY_QUOTE = "staff/_add_party_quote.html"
ADD_PARTY_RESULT = "staff/_add_party_result.html"

KITCHEN_SECTIONS = ("staff/_kitchen_tickets.html",)
KITCHEN_PIECES = ("staff/_kitchen_status.html",)
KITCHEN_LISTS = (("ticket-list", "staff/_kitchen_ticket.html", "tickets", "ticket"),)

# The lobby board (public): codes told to head over, the wait by party size, open or closed.
# Rendered from board_context_from alone, which holds codes and numbers, never a name, a
# phone number or a dish. Its QR code is the page's own (not pushed: it never changes).
BOARD_SECTIONS = (
    "board/_board_state.html",
    "board/_board_called.html",
    "board/_board_waits.html",
)
BOARD_PIECES = (
    "board/_board_state.html",
    "board/_board_called_head.html",
    "board/_board_waits.html",
)
BOARD_LISTS = (("called-codes", "board/_board_code.html", "called", "party"),)

# A diner's page: (template, the DinerScreen field it renders from, shared). A shared piece's
# value says nothing about who the diner is (a place in line, a wait), so one rendering
# serves every diner with that value.
DINER_PIECES = (
    ("diner/_order_status.html", "status", False),
    ("diner/_order_position.html", "position", True),
    ("diner/_order_wait.html", "wait", True),
    ("diner/_order_kitchen_note.html", "kitchen", True),
    ("diner/_order_actions.html", "actions", False),
)

# The host stand shows this many waiting parties at first, and this many more each time the
# host asks: a page stays small however long the queue is.
QUEUE_PAGE = 25
QUEUE_MAX_ROWS = 2000


def queue_window(raw):
    """How many queue rows a host asked to see (?rows=), rounded up to whole pages."""
    try:
        rows = int(str(raw).strip())
    except (TypeError, ValueError):
        return QUEUE_PAGE
    rows = max(QUEUE_PAGE, min(rows, QUEUE_MAX_ROWS))
    return -(-rows // QUEUE_PAGE) * QUEUE_PAGE


def host_context_from(snap, window=QUEUE_PAGE):
    rows = snap.waiting[:window]
    return {
        "restaurant": snap.restaurant,
        "snap": snap,
        "tables": snap.tables,
        "queue_rows": rows,
        "heading_rows": snap.heading_over,
        "seated_rows": snap.seated,
        "window": window,
        "queue_hidden": snap.waiting_count - len(rows),
        "queue_step": QUEUE_PAGE,
        "next_window": window + QUEUE_PAGE,
    }


def host_context(restaurant, window=QUEUE_PAGE):
    return host_context_from(selectors.queue_snapshot(restaurant), window)


def kitchen_context_from(snap):
    return {
        "restaurant": snap.restaurant,
        "tickets": selectors.kitchen_tickets_from(snap),
        "now": snap.now,
    }


def kitchen_context(restaurant):
    return kitchen_context_from(selectors.queue_snapshot(restaurant, with_items=True, with_readers=False))


def board_context_from(snap):
    """What the lobby board shows, and nothing more: a board is public, so the parties are
    reduced to their codes here, before any template sees them."""
    heading = sorted(snap.heading_over, key=lambda o: (o.notified_at or snap.now, o.pk))
    return {
        "board": {
            "name": snap.restaurant.name,
            "open": snap.restaurant.accepting_joins,
            "waiting": snap.waiting_count,
            "waits": snap.waits_by_size,
            "next_wait": snap.next_joiner_wait,
        },
        "called": [{"code": o.order_code, "here": o.arrived_at is not None} for o in heading],
    }


def board_context(restaurant):
    return board_context_from(selectors.queue_snapshot(restaurant, with_readers=False))


def diner_context(token):
    view = selectors.diner_view(token)
    return {
        "view": view,
        "order": view.order,
        "restaurant": view.order.restaurant,
        "screen": selectors.diner_screen(view),
    }


def render_piece(template, name, value):
    """One live piece, from its value alone (no request: nothing else may change it)."""
    return render_to_string(template, {name: value})


def render_flash(message, level="error", request=None):
    return render_to_string(
        "_flash.html", {"flash": {"message": message, "level": level}, "oob": True}, request
    )
