"""Dates and times as each locale writes them ("Thu, 3 Dec, 9:31 AM" / "गुरु, 3 दिस॰, सुबह 9:31"), in the
hospital's time zone whatever the machine's.

Hindi says the part of the day ("सुबह 9:31", "शाम 6:05"): CLDR's short Hindi time is "9:31 am", Latin letters in a
Devanagari sentence, which a patient reading Hindi may not read (D104).

Spaces are plain and a span's dash is a hyphen: CLDR's narrow no-break space and en dash are outside the SMS
alphabet, and one of them would make an English SMS hold 70 characters instead of 160.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_time, get_datetime_format

DAY_PERIOD_LANGUAGES = frozenset({"hi"})  # the time of day told with the part of the day, not am/pm
WITH_DAY_PERIOD = "Bhm"  # CLDR's skeleton: hour, minute and the part of the day ("सुबह 9:31")


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


@dataclass(frozen=True, slots=True)
class LocalTimes:
    """Formats for one locale and zone. Babel reads CLDR's patterns anew for every call, so the texts a day's
    messages repeat (minutes told, slot hours, days) are kept; a moment to the second, or a time with its own zone,
    is formatted each time."""

    locale: Locale
    zone: ZoneInfo

    def clock(self, instant: datetime) -> str:
        """A time of day, e.g. ``9:31 AM`` (``सुबह 9:31``)."""
        if instant.second or instant.microsecond:  # a moment such as "now", seldom asked again
            return _clock(self.locale, self.zone, instant)
        # Kept by the instant itself: two times an hour apart can compare equal in their own zone (a DST fold).
        return _kept_clock(self.locale, self.zone, instant if instant.tzinfo is None else instant.astimezone(UTC))

    def wall_clock(self, moment: time) -> str:
        """A local wall-clock time (already in the hospital's zone), e.g. a slot's start."""
        if moment.tzinfo is not None:  # equal to the same instant in other zones, which read otherwise
            return _wall_clock(self.locale, moment)
        return _kept_wall_clock(self.locale, moment)

    def day(self, day: date) -> str:
        """A day with its weekday, e.g. ``Thu, 3 Dec``."""
        return _kept_day(self.locale, day)

    def moment(self, instant: datetime) -> str:
        """A day and a time, e.g. ``Thu, 3 Dec, 9:31 AM``."""
        local = instant.astimezone(self.zone)
        pattern = str(get_datetime_format("medium", locale=self.locale))
        return pattern.replace("{1}", self.day(local.date())).replace("{0}", self.clock(instant))

    def span(self, start: time, end: time) -> str:
        """A slot's hours, e.g. ``9:00 AM-10:00 AM`` (``सुबह 9:00-10:00``: a part of the day is said once)."""
        if start.tzinfo is not None or end.tzinfo is not None:
            return _span(self.locale, start, end)
        return _kept_span(self.locale, start, end)


def _by_day_period(locale: Locale) -> bool:
    return locale.language in DAY_PERIOD_LANGUAGES


def _clock(locale: Locale, zone: ZoneInfo, instant: datetime) -> str:
    if _by_day_period(locale):
        return _plain(format_skeleton(WITH_DAY_PERIOD, instant, tzinfo=zone, locale=locale))
    return _plain(format_time(instant, "short", tzinfo=zone, locale=locale))


def _wall_clock(locale: Locale, moment: time) -> str:
    if _by_day_period(locale):
        return _plain(format_skeleton(WITH_DAY_PERIOD, moment, locale=locale))
    return _plain(format_time(moment, "short", locale=locale))


def _day(locale: Locale, day: date) -> str:
    return _plain(format_skeleton("MMMEd", day, locale=locale))


def _span(locale: Locale, start: time, end: time) -> str:
    first, last = _wall_clock(locale, start), _wall_clock(locale, end)
    if _by_day_period(locale):
        period = _plain(format_time(start, "B", locale=locale))
        if period == _plain(format_time(end, "B", locale=locale)):
            last = last.replace(period, "", 1).strip()
    return f"{first}-{last}"


KEPT = 4096  # texts of each kind kept, all locales together
_kept_clock = lru_cache(maxsize=KEPT)(_clock)
_kept_wall_clock = lru_cache(maxsize=KEPT)(_wall_clock)
_kept_day = lru_cache(maxsize=KEPT)(_day)
_kept_span = lru_cache(maxsize=KEPT)(_span)
