"""Opening hours in UK time: parsed from NURSE_LINE_HOURS, checked against the clock, spoken."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_PROMPTS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# The words used to say opening hours (prompts/en-GB/hours.yaml), with the {names} each takes.
# They are building blocks for {nurse_hours}, {<service>.hours} and the sentences that say when
# a line opens; never played on their own.
HOURS_PROMPTS: Mapping[str, frozenset[str]] = {
    "hours.nurse_open": frozenset({"hours"}),
    "hours.nurse_always": frozenset(),
    "hours.nurse_never": frozenset(),
    "hours.opens_today": frozenset({"time"}),
    "hours.opens_tomorrow": frozenset({"time"}),
    "hours.opens_on": frozenset({"day", "time"}),
    "hours.always": frozenset(),
    "hours.except_holidays": frozenset({"hours"}),
    "hours.every_day": frozenset(),
    "hours.day_range": frozenset({"first", "last"}),
    "hours.time_range": frozenset({"start", "end"}),
    "hours.join": frozenset({"first", "second"}),
    "hours.morning": frozenset({"time"}),
    "hours.afternoon": frozenset({"time"}),
    "hours.night": frozenset({"time"}),
    "hours.midday": frozenset(),
    "hours.midnight": frozenset(),
    "hours.half_past": frozenset({"hour"}),
    "hours.quarter_past": frozenset({"hour"}),
    "hours.quarter_to": frozenset({"hour"}),
    "hours.minutes": frozenset({"hour", "minutes"}),
    **{f"hours.{day}": frozenset() for day in DAY_PROMPTS},
}

EXAMPLE = "always, never, or e.g. 'Mon-Sun 08:00-20:00' or 'Mon-Fri 09:00-17:00; Sat 10:00-13:00'"
_RULE = re.compile(
    r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$"
)


class HoursError(ValueError):
    """NURSE_LINE_HOURS cannot be understood."""


@dataclass(frozen=True, slots=True)
class Rule:
    """Open on these weekdays (0 = Monday) between start and end, UK time."""

    days: tuple[int, ...]
    start: dt.time
    end: dt.time  # time.max stands for midnight at the end of the day


@dataclass(frozen=True, slots=True)
class Hours:
    """When a line is open: weekly rules, less bank holidays and other closed dates."""

    rules: tuple[Rule, ...]
    always: bool = False
    closed_dates: frozenset[dt.date] = frozenset()
    # Bank holidays of one UK nation (a `holidays` calendar), or None to stay open on them.
    holidays: Callable[[dt.date], bool] | None = None

    def is_closed_on(self, day: dt.date) -> bool:
        """A bank holiday or a date set as closed."""
        return day in self.closed_dates or bool(self.holidays and self.holidays(day))

    def is_open(self, now: dt.datetime) -> bool:
        """Whether the line is open at `now` (any timezone; compared in UK time)."""
        local = now.astimezone(UK)
        if self.is_closed_on(local.date()):
            return False
        if self.always:
            return True
        clock = local.time().replace(tzinfo=None)
        return any(
            local.weekday() in rule.days and rule.start <= clock < rule.end for rule in self.rules
        )


def _time(text: str, setting: str, end: bool) -> dt.time:
    hour, minute = (int(part) for part in text.split(":"))
    if end and (hour, minute) in ((24, 0), (0, 0)):
        return dt.time.max
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise HoursError(f"{setting}: {text} is not a time of day; use 24-hour HH:MM")
    return dt.time(hour, minute)


def parse_hours(text: str, setting: str = "NURSE_LINE_HOURS") -> Hours:
    """Read 'always', 'never' or weekly rules such as 'Mon-Sun 08:00-20:00'."""
    value = " ".join(text.lower().split())
    if value == "always":
        return Hours((), always=True)
    if value == "never":
        return Hours(())
    rules = []
    for part in filter(None, (p.strip() for p in re.split(r"[;,]", value))):
        match = _RULE.match(part)
        if not match:
            raise HoursError(f"{setting}: cannot read {part!r}; write {EXAMPLE}")
        first, last = match["first"], match["last"] or match["first"]
        if first not in DAYS or last not in DAYS:
            raise HoursError(f"{setting}: {part!r} has a day that is not one of {', '.join(DAYS)}")
        a, b = DAYS.index(first), DAYS.index(last)
        if b < a:
            raise HoursError(f"{setting}: {part!r} runs backwards; write e.g. Mon-Fri")
        start = _time(match["start"], setting, end=False)
        end = _time(match["end"], setting, end=True)
        if end <= start:
            raise HoursError(
                f"{setting}: {part!r} ends before it starts; overnight hours are not "
                "supported, split them into two rules"
            )
        rules.append(Rule(tuple(range(a, b + 1)), start, end))
    if not rules:
        raise HoursError(f"{setting} is empty; write {EXAMPLE}")
    return Hours(tuple(rules))


# NURSE_LINE_HOLIDAYS: whose bank holidays close the line (the `holidays` library's UK regions).
HOLIDAY_NATIONS = {"england": "ENG", "scotland": "SCT", "wales": "WLS", "northern-ireland": "NIR"}


@dataclass(frozen=True, slots=True)
class BankHolidays:
    """One UK nation's bank holidays, from the well-kept `holidays` library."""

    nation: str

    def __call__(self, day: dt.date) -> bool:
        return day in _calendar(HOLIDAY_NATIONS[self.nation])


@cache
def _calendar(subdivision: str) -> Any:
    import holidays

    return holidays.country_holidays("GB", subdiv=subdivision)


def bank_holidays(nation: str, setting: str = "NURSE_LINE_HOLIDAYS") -> BankHolidays:
    """The bank holidays of a nation named in the settings."""
    if nation not in HOLIDAY_NATIONS:
        raise HoursError(
            f"{setting}={nation!r} must be one of {', '.join(HOLIDAY_NATIONS)} or none"
        )
    return BankHolidays(nation)


def parse_closed_dates(text: str, setting: str = "NURSE_LINE_CLOSED_DATES") -> frozenset[dt.date]:
    """Extra closed days, such as '2026-12-24, 2026-12-31'."""
    found = set()
    for part in filter(None, (p.strip() for p in re.split(r"[,;\s]+", text))):
        try:
            found.add(dt.date.fromisoformat(part))
        except ValueError as error:
            raise HoursError(
                f"{setting}: {part!r} is not a date; write YYYY-MM-DD, separated by commas"
            ) from error
    return frozenset(found)


def nurse_hours_sentence(hours: Hours, words: Callable[[str], str]) -> str:
    """{nurse_hours}: one sentence that fits the hours, never "open ... and closed"."""
    if hours.always and hours.holidays is None:
        return words("hours.nurse_always")
    if not hours.always and not hours.rules:
        return words("hours.nurse_never")
    return words("hours.nurse_open").format(hours=spoken_hours(hours, words))


def spoken_hours(hours: Hours, words: Callable[[str], str]) -> str:
    """Say the hours as people do, with words from the hours.* prompts ("" for never); a line
    that closes on bank holidays says so."""
    if hours.holidays is not None and (hours.always or hours.rules):
        plain = replace(hours, holidays=None)
        return words("hours.except_holidays").format(hours=spoken_hours(plain, words))
    if hours.always:
        return words("hours.always")
    if not hours.rules:
        return ""
    phrases = [
        f"{_spoken_days(rule.days, words)}, "
        + words("hours.time_range").format(
            start=_spoken_time(rule.start, words), end=_spoken_time(rule.end, words)
        )
        for rule in hours.rules
    ]
    result = phrases[0]
    for phrase in phrases[1:]:
        result = words("hours.join").format(first=result, second=phrase)
    return result


def _spoken_days(days: tuple[int, ...], words: Callable[[str], str]) -> str:
    if len(days) == 7:
        return words("hours.every_day")
    first, last = (words(f"hours.{DAY_PROMPTS[d]}") for d in (days[0], days[-1]))
    if len(days) == 1:
        return first
    return words("hours.day_range").format(first=first, last=last)


def _spoken_time(time: dt.time, words: Callable[[str], str]) -> str:
    if time == dt.time.max or time == dt.time(0, 0):
        return words("hours.midnight")
    if time == dt.time(12, 0):
        return words("hours.midday")
    minute = time.minute
    # "quarter to" names the next hour; the part of the day stays that of the time itself.
    hour = time.hour + 1 if minute == 45 else time.hour
    twelve = hour % 12 or 12
    forms: Mapping[int, str] = {
        0: "{hour}",
        15: words("hours.quarter_past"),
        30: words("hours.half_past"),
        45: words("hours.quarter_to"),
    }
    clock = forms.get(minute, words("hours.minutes")).format(hour=twelve, minutes=f"{minute:02d}")
    part = (
        "hours.morning"
        if time.hour < 12
        else "hours.afternoon"
        if time.hour < 18
        else "hours.night"
    )
    return words(part).format(time=clock)


# ---------------------------------------------------------------- when a closed line opens

# Openings further away than this are not said as a day of the week ("on Monday" would mislead).
OPENING_HORIZON_DAYS = 7


@dataclass(frozen=True, slots=True, order=True)
class Opening:
    """When a closed line opens again: "today", "tomorrow" or a weekday's name, and the time."""

    when: str
    time: dt.time

    def prompt_id(self, line: str) -> str:
        """The prompt that says it, made at start-up: opens.nurse_line.tomorrow_0800."""
        return f"opens.{line}.{self.when}_{self.time:%H%M}"


def next_opening(hours: Hours, now: dt.datetime) -> Opening | None:
    """When the line next opens after `now`, within the coming week; None if not in that time
    (or if it has no weekly hours: always open but for holidays, or never)."""
    if hours.always or not hours.rules:
        return None
    local = now.astimezone(UK)
    clock = local.time().replace(tzinfo=None)
    for offset in range(OPENING_HORIZON_DAYS):
        day = local.date() + dt.timedelta(days=offset)
        if hours.is_closed_on(day):
            continue
        starts = sorted(rule.start for rule in hours.rules if day.weekday() in rule.days)
        for start in starts:
            if offset > 0 or start > clock:
                when = ("today", "tomorrow")[offset] if offset < 2 else DAY_PROMPTS[day.weekday()]
                return Opening(when, start)
    return None


def possible_openings(hours: Hours) -> tuple[Opening, ...]:
    """Every opening next_opening can give for these hours, so each can be said (and rendered)."""
    found = {
        Opening(when, rule.start)
        for rule in hours.rules
        for day in rule.days
        for when in ("today", "tomorrow", DAY_PROMPTS[day])
    }
    return tuple(sorted(found))


def opening_sentence(opening: Opening, words: Callable[[str], str]) -> str:
    """ "It opens tomorrow at 8 in the morning." """
    time = _spoken_time(opening.time, words)
    if opening.when in ("today", "tomorrow"):
        return words(f"hours.opens_{opening.when}").format(time=time)
    return words("hours.opens_on").format(day=words(f"hours.{opening.when}"), time=time)
