"""What each message says, per channel, and the arithmetic of a text's length.

A text is one SMS segment: at most 160 GSM-7 septets (the characters every phone network
carries in 7 bits; a few, like [ ] { } and the euro sign, take two). One character outside
GSM-7 turns the whole text into UCS-2, where a segment holds 70, so the templates use plain
characters only, and the restaurant's name is cleaned of typographic lookalikes (curly
apostrophes and quotes, dashes, non-breaking spaces) that would force UCS-2 for nothing.
A name that really needs UCS-2 (Greek lower case, Chinese, an emoji) gets a text of up to
three UCS-2 segments (201 UTF-16 units) instead: it is the name the diner knows.

Every text says who it is from (the restaurant's name), the party's code and its status
link. The party's name is not in texts: the phone's owner knows who they are, and the code
is what the host asks for, so its 80 characters go to the link and the message instead.
When the restaurant's name would push a text over its limit, the name is shortened (on a
word boundary where it can be, ending in "..."): with a PUBLIC_BASE_URL of up to 30
characters (https://wait.trattoria-verde.com is 32), a name of up to REALISTIC_NAME_LENGTH
(24) characters is never cut in any text; "head over now" is the longest, and a 31-character
"The Hungry Fisherman Oyster Bar" signs it "The Hungry Fisherman...". Every text is built in
tests/messaging/test_texts.py at that worst case and at the model's limit of 120.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

SMS_LIMIT = 160
UCS2_LIMIT = 3 * 67  # three concatenated UCS-2 segments (a 6-byte header each leaves 67)
REALISTIC_NAME_LENGTH = 24
REALISTIC_BASE_URL_LENGTH = 30

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")  # sent as an escape plus the character: two septets

LOOKALIKES = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
        "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ",
        "\u2026": "...",
    }
)


def is_gsm7(text):
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def septets(text):
    """How many 7-bit units a GSM-7 text takes."""
    return sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)


def utf16_units(text):
    return len(text.encode("utf-16-le")) // 2


def text_length(text):
    """(length, limit) of a text: septets against 160 for GSM-7, else UTF-16 units
    against three UCS-2 segments."""
    if is_gsm7(text):
        return septets(text), SMS_LIMIT
    return utf16_units(text), UCS2_LIMIT


def fits(text):
    length, limit = text_length(text)
    return length <= limit


def plain_name(name):
    """The restaurant's name without typographic lookalikes that would force UCS-2."""
    return " ".join(name.translate(LOOKALIKES).split())


def shortened(name, keep):
    """`name` cut to at most `keep` characters, on a word boundary if one is near, "..." at
    the end."""
    if len(name) <= keep:
        return name
    room = max(1, keep - 3)
    cut = name[:room]
    space = cut.rfind(" ")
    if space >= room // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.-&:;") + "..."


def fit_name(build, name):
    """build(name) with the longest form of `name` that makes the text fit."""
    name = plain_name(name)
    text = build(name)
    if fits(text):
        return text
    for keep in range(len(name) - 1, 0, -1):
        text = build(shortened(name, keep))
        if fits(text):
            return text
    return build("")


def status_link(order):
    """The party's own page, absolute: PUBLIC_BASE_URL + /q/<token> (no trailing slash: the
    app redirects to it, and a text is short)."""
    return f"{settings.PUBLIC_BASE_URL}/q/{order.public_token}"


def _clock(moment):
    return timezone.localtime(moment).strftime("%H:%M") if moment else "soon"


@dataclass(frozen=True)
class Written:
    """One message for one channel: a text's body; a push's title and body; an email's
    subject and body."""

    body: str
    subject: str = ""


def _minutes(n):
    return "a few min" if n is None else f"{n} min"


# Texts: (restaurant name) -> text. Plain characters only (see the module's docstring).
def sms(kind, order, **extra):
    code, link = order.order_code, status_link(order)
    r = order.restaurant
    if kind == "joined":
        build = lambda n: f"{n}: you're in the queue, code {code}, about {_minutes(order.quoted_wait_minutes)}. We text when to come. {link}"  # noqa: E731
    elif kind == "getting_close":
        build = lambda n: f"{n}: nearly your turn (code {code}, about {_minutes(extra.get('minutes'))}). Be ready to come. {link}"  # noqa: E731
    elif kind == "head_over":
        by = _clock(order.target_arrival_time)
        held = r.arrival_grace_minutes
        build = lambda n: f"{n}: head over now! Here by {by}, held {held} min, code {code}. Reply 1 coming 9 cancel {link}"  # noqa: E731
    elif kind == "wait_changed":
        build = lambda n: f"{n}: your wait is now about {_minutes(extra.get('after'))} (was {_minutes(extra.get('before'))}). Code {code}. {link}"  # noqa: E731
    elif kind == "left":
        build = lambda n: f"{n}: you left the queue (code {code}). Hope to see you soon. {link}"  # noqa: E731
    elif kind == "removed":
        build = lambda n: f"{n}: you were taken off the queue (code {code}). {link}"  # noqa: E731
    elif kind == "no_show":
        build = lambda n: f"{n}: we missed you; your table went to the next party (code {code}). {link}"  # noqa: E731
    elif kind == "declined":
        build = lambda n: f"{n} can't take your party right now (code {code}). {link}"  # noqa: E731
    elif kind == "confirmed":
        by = _clock(order.target_arrival_time)
        build = lambda n: f"{n}: thanks, see you by {by} (code {code}). {link}"  # noqa: E731
    elif kind == "late":
        by = _clock(order.target_arrival_time)
        build = lambda n: f"{n}: noted, we expect you by {by} (code {code}). {link}"  # noqa: E731
    elif kind == "help":
        build = lambda n: f"{n}: reply 1 on my way, 9 cancel, late 10 if 10 min late, STOP no texts. {link}"  # noqa: E731
    elif kind == "started":
        build = lambda n: f"{n}: texts are back on (code {code}). Reply STOP to stop. {link}"  # noqa: E731
    elif kind == "host":
        note = extra["note"]
        build = lambda n: f"{n}: {note}"  # noqa: E731
    else:
        raise ValueError(f"No text for {kind!r}")
    return Written(fit_name(build, r.name))


HOST_NOTE_LIMIT = 120


def host_note_problem(note, restaurant_name):
    """Why a host's free-text message cannot go as one text, or None."""
    note = " ".join((note or "").split())
    if not note:
        return "Type the message to send."
    if len(note) > HOST_NOTE_LIMIT:
        return f"A message can be at most {HOST_NOTE_LIMIT} characters (this one has {len(note)})."
    if not is_gsm7(note):
        return (
            "Use plain letters, digits and punctuation: one emoji or curly quote turns a text "
            "into a much shorter one."
        )
    return None


# Push notifications and emails have room: the whole name, the party's name, the link.
TITLES = {
    "joined": "You're in the queue",
    "getting_close": "Nearly your turn",
    "head_over": "Head over now",
    "wait_changed": "Your wait changed",
    "left": "You left the queue",
    "removed": "You were taken off the queue",
    "no_show": "We missed you",
    "declined": "The restaurant can't take your party",
    "confirmed": "Thanks, see you soon",
    "late": "Noted: running late",
    "help": "How to answer",
    "started": "Texts are back on",
    "host": "A message from the host",
}


def long_form(kind, order, **extra):
    """The words of a push notification or an email: a title and a paragraph."""
    r = order.restaurant
    code = order.order_code
    if kind == "joined":
        body = f"{order.customer_name}, you're number {order.queue_position or 1} in {r.name}'s queue (code {code}), about {_minutes(order.quoted_wait_minutes)}. We'll tell you when to head over."
    elif kind == "getting_close":
        body = f"Your table at {r.name} is about {_minutes(extra.get('minutes'))} away (code {code}). Be ready to come: we'll tell you when."
    elif kind == "head_over":
        body = f"Your table at {r.name} is almost ready: be there by {_clock(order.target_arrival_time)} (we hold it {r.arrival_grace_minutes} min). Show code {code}. Tap to say you're on your way."
    elif kind == "wait_changed":
        body = f"Your wait at {r.name} is now about {_minutes(extra.get('after'))} (it was {_minutes(extra.get('before'))}). Code {code}."
    elif kind == "left":
        body = f"You have left {r.name}'s queue (code {code}). We hope to see you another time."
    elif kind == "removed":
        body = f"{r.name} took your party off the queue (code {code}). Please speak to the host if this is a mistake."
    elif kind == "no_show":
        body = f"You didn't arrive in time, so your table at {r.name} went to the next party (code {code}). Please speak to the host or join again."
    elif kind == "declined":
        body = f"{r.name} can't take your party right now (code {code}). Please try again later."
    elif kind in ("confirmed", "late"):
        body = f"{r.name} expects you by {_clock(order.target_arrival_time)} (code {code})."
    elif kind == "help":
        body = f"Reply 1 when you're on your way, 9 to leave the queue, late 10 if you'll be 10 minutes late, STOP for no more texts. Code {code}."
    elif kind == "started":
        body = f"Texts from {r.name} are back on (code {code})."
    elif kind == "host":
        body = extra["note"]
    else:
        raise ValueError(f"No message for {kind!r}")
    return TITLES[kind], body


def push(kind, order, **extra):
    title, body = long_form(kind, order, **extra)
    return Written(body, f"{order.restaurant.name}: {title}"[:200])


def email(kind, order, **extra):
    title, body = long_form(kind, order, **extra)
    text = f"{body}\n\nYour place in the queue: {status_link(order)}\n\n{order.restaurant.name}"
    return Written(text, f"{order.restaurant.name}: {title}"[:200])


def write(channel, kind, order, **extra):
    return {"sms": sms, "push": push, "email": email}[channel](kind, order, **extra)
