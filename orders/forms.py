"""Forms parse what people type; the restaurant's rules (party sizes, menus, open or closed)
are checked by orders.services, whose messages the views put back on these forms."""

import re
import uuid

from django import forms
from django.core.validators import MaxValueValidator

from .models import MAX_EMAIL_LENGTH, MAX_NAME_LENGTH, MAX_NOTE_LENGTH, MAX_PHONE_LENGTH, visible_name
from .services import MAX_ITEM_QUANTITY, LineRequest

ITEM_FIELD = re.compile(r"^item-(?P<id>\d+)-qty$")
# Ids beyond a 64-bit integer cannot name any dish; sent on to the database they would fail
# there (SQLite raises OverflowError) instead of being refused like any other unknown dish.
LARGEST_ID = 2**63 - 1
NOT_ON_THE_MENU = "Some of the dishes you picked are not on this restaurant's menu."


class JoinForm(forms.Form):
    customer_name = forms.CharField(
        label="Your name",
        max_length=MAX_NAME_LENGTH,
        validators=[visible_name],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={
            "max_length": "Your name can be at most %(limit_value)d characters (this one has %(show_value)d).",
        },
    )
    party_size = forms.IntegerField(
        label="Party size",
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
        error_messages={
            "required": "Say how many people are in your party.",
            "invalid": "Party size must be a whole number.",
            "min_value": "A party has at least 1 person.",
        },
    )
    phone = forms.CharField(
        label="Phone (optional)",
        max_length=MAX_PHONE_LENGTH,
        required=False,
        error_messages={
            "max_length": "Phone can be at most %(limit_value)d characters (this one has %(show_value)d).",
        },
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label="Email (optional)",
        max_length=MAX_EMAIL_LENGTH,
        required=False,
        error_messages={
            "max_length": "Email can be at most %(limit_value)d characters (this one has %(show_value)d).",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    notify_by_sms = forms.BooleanField(label="Text me at this number", required=False)
    notify_by_push = forms.BooleanField(label="Notify me in this browser", required=False)
    notify_by_email = forms.BooleanField(label="Email me", required=False)
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

    CHANNEL_FIELDS = ("notify_by_sms", "notify_by_push", "notify_by_email")

    def __init__(self, *args, menu=(), restaurant=None, push_available=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not push_available:
            del self.fields["notify_by_push"]
        self.menu = list(menu)
        self.restaurant = restaurant
        self.fields["customer_name"].error_messages["required"] = (
            "Please tell us a name to call you by."
        )
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
        bad = unknown = bad_note = negative = too_many = False
        long_notes = []
        dish_names = {item.pk: item.name for item in self.menu}
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
            if quantity < 0:
                negative = True
            elif quantity > MAX_ITEM_QUANTITY:
                too_many = True
            note = (self.data.get(f"item-{item_id}-note") or "").strip()
            if "\x00" in note:
                # PostgreSQL cannot store it, and no kitchen needs it.
                bad_note = True
                note = note.replace("\x00", "")
            if len(note) > MAX_NOTE_LENGTH:
                # Refused, never cut: the kitchen would cook from half a sentence.
                long_notes.append(
                    f"The note for the kitchen about {dish_names.get(item_id, 'a dish')} can be at "
                    f"most {MAX_NOTE_LENGTH} characters (this one has {len(note)})."
                )
            self.item_quantities[item_id] = quantity
            self.item_notes[item_id] = note
            lines.append(LineRequest(menu_item_id=item_id, quantity=quantity, note=note))
        if bad:
            self.add_error(None, "Quantities must be whole numbers.")
        if negative:
            self.add_error(None, "Quantities cannot be negative.")
        if too_many:
            self.add_error(None, f"At most {MAX_ITEM_QUANTITY} of one dish per order.")
        if unknown:
            self.add_error(None, NOT_ON_THE_MENU)
        if bad_note:
            self.add_error(None, "Notes for the kitchen cannot contain null characters.")
        for message in long_notes:
            self.add_error(None, message)
        if (
            self.restaurant is not None
            and self.restaurant.order_required
            and self.menu
            and not (bad or negative or unknown)
            and not any(line.quantity > 0 for line in lines)
        ):
            # Said here too, not only by the service: every mistake on the form at once.
            self.add_error(None, "Please choose at least one dish, so it can be ready when you sit down.")
        cleaned["lines"] = lines
        return cleaned

    def courses(self):
        """The menu rows grouped by course, in the menu's order: [(course label, rows)]."""
        groups = {}
        for row in self.menu_rows():
            groups.setdefault(row["item"].get_course_display(), []).append(row)
        return list(groups.items())

    def party_fields(self):
        """The fields of "Your party" (the channels have a fieldset of their own)."""
        return [f for f in self if not f.is_hidden and f.name not in self.CHANNEL_FIELDS]

    def channel_fields(self):
        return [self[name] for name in self.CHANNEL_FIELDS if name in self.fields]

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


class ContactForm(forms.Form):
    """How a diner wants to be told, changed on their page."""

    phone = forms.CharField(label="Phone", max_length=MAX_PHONE_LENGTH, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    email = forms.EmailField(label="Email", max_length=MAX_EMAIL_LENGTH, required=False,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    notify_by_sms = forms.BooleanField(label="Text me", required=False)
    notify_by_push = forms.BooleanField(label="Notify this browser", required=False)
    notify_by_email = forms.BooleanField(label="Email me", required=False)

    def error_text(self):
        return " ".join(e for errors in self.errors.values() for e in errors)


class AnswerForm(forms.Form):
    """The answers to "head over now" on the diner's page."""

    answer = forms.ChoiceField(choices=[("on_my_way", "On my way"), ("late", "Running late")])
    minutes = forms.IntegerField(required=False, min_value=1, max_value=60)


class TravelForm(forms.Form):
    """The diner says how far away they are, while waiting."""

    travel_minutes = forms.IntegerField(
        label="I'm this many minutes away",
        min_value=0,
        max_value=180,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": 180}),
        error_messages={
            "required": "Say how many minutes away you are.",
            "invalid": "Minutes away must be a whole number.",
            "min_value": "Minutes away cannot be negative.",
            "max_value": "If you are more than 3 hours away, please leave the queue and join later.",
        },
    )


TABLE_COUNT_FIELD = re.compile(r"^tables-(?P<seats>\d{1,2})$")


class RoomSettingsForm(forms.Form):
    """The room and how the house runs, from the host stand: how many tables of each size
    (one number per size, plus a new size), the usual sitting, travel default, grace period,
    buffers, and whether ReadyTable notifies parties and marks no-shows by itself."""

    # The room as it was when the form was filled in (services.room_fingerprint).
    seen = forms.CharField(
        label="", widget=forms.HiddenInput, max_length=64,
        error_messages={"required": "This form is out of date: reload the page and save again."},
    )
    new_size_seats = forms.IntegerField(label="New table size (seats)", required=False, min_value=1, max_value=30)
    new_size_tables = forms.IntegerField(label="Tables of the new size", required=False, min_value=1, max_value=200)
    avg_dine_in_duration_minutes = forms.IntegerField(
        label="Usual sitting (minutes, used until there is enough history)", min_value=5, max_value=600
    )
    default_travel_minutes = forms.IntegerField(
        label="Travel time when a diner does not say (minutes)", min_value=0, max_value=180
    )
    arrival_grace_minutes = forms.IntegerField(label="Grace period for late parties (minutes)", min_value=0, max_value=120)
    notify_buffer_minutes = forms.IntegerField(label="Extra lead when notifying (minutes)", min_value=0, max_value=30)
    plating_buffer_minutes = forms.IntegerField(label="Plating buffer (minutes)", min_value=0, max_value=30)
    auto_notify = forms.BooleanField(label="Notify parties automatically", required=False)
    auto_no_show = forms.BooleanField(label="Mark late parties as no-shows automatically", required=False)

    HOUSE_FIELDS = (
        "avg_dine_in_duration_minutes",
        "default_travel_minutes",
        "arrival_grace_minutes",
        "notify_buffer_minutes",
        "plating_buffer_minutes",
        "auto_notify",
        "auto_no_show",
    )

    def __init__(self, *args, table_sizes=(), **kwargs):
        super().__init__(*args, **kwargs)
        # One field per table size the room has now.
        for seats, count in table_sizes:
            self.fields[f"tables-{seats}"] = forms.IntegerField(
                label=f"Tables for {seats}", min_value=0, max_value=200, initial=count
            )

    @classmethod
    def for_restaurant(cls, restaurant, table_sizes, seen):
        initial = {name: getattr(restaurant, name) for name in cls.HOUSE_FIELDS}
        return cls(table_sizes=table_sizes, initial={**initial, "seen": seen})

    def size_fields(self):
        return [self[name] for name in self.fields if TABLE_COUNT_FIELD.match(name)]

    def house_fields(self):
        return [self[name] for name in self.HOUSE_FIELDS]

    def clean(self):
        cleaned = super().clean()
        seats, tables = cleaned.get("new_size_seats"), cleaned.get("new_size_tables")
        if (seats is None) != (tables is None):
            raise forms.ValidationError("For a new table size, give both its seats and how many tables.")
        return cleaned

    def table_counts(self):
        counts = {}
        for name, value in self.cleaned_data.items():
            match = TABLE_COUNT_FIELD.match(name)
            if match and value is not None:
                counts[int(match["seats"])] = value
        if self.cleaned_data.get("new_size_seats"):
            seats = self.cleaned_data["new_size_seats"]
            counts[seats] = counts.get(seats, 0) + self.cleaned_data["new_size_tables"]
        return counts

    def house_settings(self):
        return {name: self.cleaned_data[name] for name in self.HOUSE_FIELDS}

    def error_text(self):
        messages = []
        for field, errors in self.errors.items():
            label = self.fields[field].label if field in self.fields else ""
            messages += [f"{label}: {e}" if label else e for e in errors]
        return " ".join(messages)


class AddPartyForm(forms.Form):
    """The host stand's "Add party": a guest who walked up or phoned. No dishes: they order
    at the table."""

    customer_name = forms.CharField(
        label="Name",
        max_length=MAX_NAME_LENGTH,
        validators=[visible_name],
        error_messages={
            "required": "Give a name to call the party by.",
            "max_length": "A name can be at most %(limit_value)d characters (this one has %(show_value)d).",
        },
    )
    party_size = forms.IntegerField(
        label="Party size",
        min_value=1,
        error_messages={
            "required": "Say how many people are in the party.",
            "invalid": "Party size must be a whole number.",
            "min_value": "A party has at least 1 person.",
        },
    )
    phone = forms.CharField(
        label="Phone (optional)",
        max_length=MAX_PHONE_LENGTH,
        required=False,
        error_messages={
            "max_length": "A phone number can be at most %(limit_value)d characters (this one has %(show_value)d).",
        },
    )
    email = forms.EmailField(
        label="Email (optional)",
        max_length=MAX_EMAIL_LENGTH,
        required=False,
        error_messages={
            "invalid": "That email address is not complete: it looks like name@example.com.",
            "max_length": "An email address can be at most %(limit_value)d characters (this one has %(show_value)d).",
        },
    )
    note = forms.CharField(
        label="Note (optional)",
        max_length=MAX_NOTE_LENGTH,
        required=False,
        error_messages={
            "max_length": "The note can be at most %(limit_value)d characters (this one has %(show_value)d).",
        },
    )
    travel_minutes = forms.IntegerField(
        label="Minutes away (optional)",
        min_value=0,
        max_value=180,
        required=False,
        error_messages={
            "invalid": "Minutes away must be a whole number.",
            "min_value": "Minutes away cannot be negative.",
            "max_value": "Minutes away can be at most 180.",
        },
    )
    submission_key = JoinForm.base_fields["submission_key"]

    def __init__(self, *args, restaurant, **kwargs):
        super().__init__(*args, **kwargs)
        self.restaurant = restaurant
        size = self.fields["party_size"]
        size.max_value = restaurant.max_party_size
        size.validators.append(MaxValueValidator(
            restaurant.max_party_size,
            message=f"The queue takes parties of up to {restaurant.max_party_size} (the "
            "restaurant's largest party size).",
        ))
        size.widget.attrs.update(min=1, max=restaurant.max_party_size, inputmode="numeric")
        self.fields["travel_minutes"].help_text = (
            f"0 if they are here now; empty: the usual {restaurant.default_travel_minutes} min."
        )
        self.fields["travel_minutes"].widget.attrs.update(inputmode="numeric")
        self.fields["phone"].widget.attrs.update(inputmode="tel", autocomplete="off")
        self.fields["customer_name"].widget.attrs.update(autocomplete="off")
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4().hex)

    def apply_service_errors(self, errors):
        for field, message in errors.items():
            self.add_error(field if field in self.fields else None, message)

    def all_errors(self):
        """Every message on the form, each once, labelled with its field."""
        out = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields and name != "submission_key" else ""
            out += [f"{label}: {e}" if label else e for e in errors]
        return out
