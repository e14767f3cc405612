"""Forms parse what people type; the restaurant's rules (party sizes, menus, open or closed)
are checked by orders.services, whose messages the views put back on these forms."""

import re
import uuid

from django import forms

from .services import LineRequest

ITEM_FIELD = re.compile(r"^item-(?P<id>\d+)-qty$")
# Ids beyond a 64-bit integer cannot name any dish; sent on to the database they would fail
# there (SQLite raises OverflowError) instead of being refused like any other unknown dish.
LARGEST_ID = 2**63 - 1
NOT_ON_THE_MENU = "Some of the dishes you picked are not on this restaurant's menu."


class JoinForm(forms.Form):
    customer_name = forms.CharField(
        label="Your name", max_length=80, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    party_size = forms.IntegerField(
        label="Party size", widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1})
    )
    phone = forms.CharField(
        label="Phone (optional)",
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label="Email (optional)",
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    travel_minutes = forms.IntegerField(
        label="Minutes away (optional)",
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
        help_text="How long it takes you to get here, so we call you in time.",
    )
    submission_key = forms.CharField(
        widget=forms.HiddenInput,
        required=False,
        max_length=64,
        error_messages={
            "max_length": "This form has expired or was changed; please reload the page and "
            "send it again.",
            "null_characters_not_allowed": "This form has expired or was changed; please "
            "reload the page and send it again.",
        },
    )

    def __init__(self, *args, menu=(), restaurant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.menu = list(menu)
        if restaurant is not None:
            self.fields["party_size"].widget.attrs["max"] = restaurant.max_party_size
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4().hex)
            self.initial.setdefault("party_size", 2)
        self.item_quantities = {}
        self.item_notes = {}

    def clean(self):
        cleaned = super().clean()
        lines = []
        bad = unknown = bad_note = False
        for key, raw in (self.data.items() if self.is_bound else []):
            match = ITEM_FIELD.match(key)
            if not match:
                continue
            raw = (raw or "").strip()
            if raw == "":
                continue
            item_id = int(match["id"])
            try:
                quantity = int(raw)
            except ValueError:
                bad = True
                continue
            if item_id > LARGEST_ID:
                unknown = True
                continue
            note = (self.data.get(f"item-{item_id}-note") or "").strip()
            if "\x00" in note:
                # PostgreSQL cannot store it, and no kitchen needs it.
                bad_note = True
                note = note.replace("\x00", "")
            self.item_quantities[item_id] = quantity
            self.item_notes[item_id] = note
            lines.append(LineRequest(menu_item_id=item_id, quantity=quantity, note=note))
        if bad:
            self.add_error(None, "Quantities must be whole numbers.")
        if unknown:
            self.add_error(None, NOT_ON_THE_MENU)
        if bad_note:
            self.add_error(None, "Notes for the kitchen cannot contain null characters.")
        cleaned["lines"] = lines
        return cleaned

    def menu_rows(self):
        """The menu with what this diner has typed so far, for re-rendering after an error."""
        return [
            {
                "item": item,
                "quantity": self.item_quantities.get(item.pk, ""),
                "note": self.item_notes.get(item.pk, ""),
            }
            for item in self.menu
        ]

    def apply_service_errors(self, errors):
        for field, message in errors.items():
            self.add_error(field if field in self.fields else None, message)
