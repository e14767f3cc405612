"""The period an insights screen covers, in the restaurant's time zone, and the one before it
of the same length to compare with.

ReadyTable has one time zone per deployment (settings.TIME_ZONE), which is the restaurant's:
days start at the restaurant's midnight, and a day with a daylight-saving change has 23 or
25 hours. A period that includes today ends now, and the previous period ends at the same
time of day, so a half-finished evening is never compared with a whole one."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

PRESETS = {"today": 1, "7d": 7, "28d": 28}
PRESET_LABELS = {"today": "Today", "7d": "Last 7 days", "28d": "Last 28 days", "custom": "Custom range"}
DEFAULT = "7d"
MAX_DAYS = 366


class PeriodError(ValueError):
    """A period the picker cannot show; the message says why, in the manager's words."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def local_midnight(day, tz):
    return datetime.combine(day, time.min, tzinfo=tz)


def shift_days(moment, days, tz):
    """The same wall-clock time `days` days earlier (negative: later) in `tz`, across any
    daylight-saving change in between."""
    wall = moment.astimezone(tz).replace(tzinfo=None) - timedelta(days=days)
    return wall.replace(tzinfo=tz)


@dataclass(frozen=True)
class Period:
    key: str  # today, 7d, 28d or custom
    first_day: date
    last_day: date
    start: datetime  # inclusive
    end: datetime  # exclusive: the next midnight, or now for a period that includes today
    tz: object

    @property
    def days(self):
        return (self.last_day - self.first_day).days + 1

    @property
    def label(self):
        if self.first_day == self.last_day:
            return _day(self.first_day)
        return f"{_day(self.first_day)} – {_day(self.last_day)}"

    @property
    def name(self):
        return PRESET_LABELS[self.key]

    @property
    def slug(self):
        """For file names: 2025-06-01_2025-06-07."""
        return f"{self.first_day.isoformat()}_{self.last_day.isoformat()}"

    def previous(self):
        """The same number of days just before, ending at the same time of day."""
        return Period(
            key=self.key,
            first_day=self.first_day - timedelta(days=self.days),
            last_day=self.last_day - timedelta(days=self.days),
            start=shift_days(self.start, self.days, self.tz),
            end=shift_days(self.end, self.days, self.tz),
            tz=self.tz,
        )

    def query(self):
        """The picker's fields, to carry the period over to CSV links and the what-if."""
        if self.key == "custom":
            return {"period": "custom", "start": self.first_day.isoformat(), "end": self.last_day.isoformat()}
        return {"period": self.key}


def _day(day):
    return f"{day.strftime('%a')} {day.day} {day.strftime('%b %Y')}"


def _parse_day(raw, what):
    raw = (raw or "").strip()
    if not raw:
        raise PeriodError(f"Choose the {what} of the custom range.")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise PeriodError(f"The {what} of the range, {raw[:20]!r}, is not a date (use YYYY-MM-DD).") from None


def period_between(first_day, last_day, now, tz, key="custom"):
    today = now.astimezone(tz).date()
    start = local_midnight(first_day, tz)
    end = now if last_day >= today else local_midnight(last_day + timedelta(days=1), tz)
    return Period(key=key, first_day=first_day, last_day=last_day, start=start, end=end, tz=tz)


def parse_period(params, now=None, tz=None):
    """The period a picker's GET parameters ask for (`period`: today, 7d, 28d or custom with
    `start` and `end` dates), or PeriodError with what is wrong."""
    now = now or timezone.now()
    tz = tz or timezone.get_current_timezone()
    today = now.astimezone(tz).date()
    key = (params.get("period") or DEFAULT).strip()
    if key in PRESETS:
        days = PRESETS[key]
        return period_between(today - timedelta(days=days - 1), today, now, tz, key)
    if key != "custom":
        raise PeriodError("Pick today, the last 7 days, the last 28 days or a custom range.")
    first_day = _parse_day(params.get("start"), "first day")
    last_day = _parse_day(params.get("end"), "last day")
    if last_day < first_day:
        raise PeriodError(
            f"The range ends ({last_day.isoformat()}) before it starts ({first_day.isoformat()}): "
            "pick a last day on or after the first."
        )
    if last_day > today:
        raise PeriodError(f"The range ends after today ({today.isoformat()}): there is nothing to show yet.")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise PeriodError(f"A range covers at most {MAX_DAYS} days; pick a shorter one.")
    return period_between(first_day, last_day, now, tz)
