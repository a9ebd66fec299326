"""Dates and times as each locale writes them ("Thu, 3 Dec, 9:31 AM" / "गुरु, 3 दिस॰, सुबह 9:31"), in the
hospital's time zone whatever the machine's.

Hindi says the part of the day ("सुबह 9:31", "शाम 6:05"): CLDR's short Hindi time is "9:31 am", Latin letters in a
Devanagari sentence, which a patient reading Hindi may not read (D104).

Spaces are plain and a span's dash is a hyphen: CLDR's narrow no-break space and en dash are outside the SMS
alphabet, and one of them would make an English SMS hold 70 characters instead of 160.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
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
    """Formats for one locale and zone. Babel reads CLDR's patterns anew for every call, so each text is kept
    (``_cached``): a day's messages repeat the same few minutes, slots and dates."""

    locale: Locale
    zone: ZoneInfo

    def clock(self, instant: datetime) -> str:
        """A time of day, e.g. ``9:31 AM`` (``सुबह 9:31``)."""
        return _clock(self.locale, self.zone, instant)

    def wall_clock(self, moment: time) -> str:
        """A local wall-clock time (already in the hospital's zone), e.g. a slot's start."""
        return _wall_clock(self.locale, moment)

    def day(self, day: date) -> str:
        """A day with its weekday, e.g. ``Thu, 3 Dec``."""
        return _day(self.locale, day)

    def moment(self, instant: datetime) -> str:
        """A day and a time, e.g. ``Thu, 3 Dec, 9:31 AM``."""
        local = instant.astimezone(self.zone)
        pattern = str(get_datetime_format("medium", locale=self.locale))
        return pattern.replace("{1}", self.day(local.date())).replace("{0}", self.clock(instant))

    def span(self, start: time, end: time) -> str:
        """A slot's hours, e.g. ``9:00 AM-10:00 AM`` (``सुबह 9:00-10:00``: a part of the day is said once)."""
        return _span(self.locale, start, end)


_cached = lru_cache(maxsize=4096)


def _by_day_period(locale: Locale) -> bool:
    return locale.language in DAY_PERIOD_LANGUAGES


@_cached
def _clock(locale: Locale, zone: ZoneInfo, instant: datetime) -> str:
    if _by_day_period(locale):
        return _plain(format_skeleton(WITH_DAY_PERIOD, instant, tzinfo=zone, locale=locale))
    return _plain(format_time(instant, "short", tzinfo=zone, locale=locale))


@_cached
def _wall_clock(locale: Locale, moment: time) -> str:
    if _by_day_period(locale):
        return _plain(format_skeleton(WITH_DAY_PERIOD, moment, locale=locale))
    return _plain(format_time(moment, "short", locale=locale))


@_cached
def _day(locale: Locale, day: date) -> str:
    return _plain(format_skeleton("MMMEd", day, locale=locale))


@_cached
def _span(locale: Locale, start: time, end: time) -> str:
    first, last = _wall_clock(locale, start), _wall_clock(locale, end)
    if _by_day_period(locale):
        period = _plain(format_time(start, "B", locale=locale))
        if period == _plain(format_time(end, "B", locale=locale)):
            last = last.replace(period, "", 1).strip()
    return f"{first}-{last}"
