"""Tests for ivr.hours: reading NURSE_LINE_HOURS, checking it in UK time, and saying it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from ivr.config import ConfigError, load_settings
from ivr.hours import (
    Hours,
    HoursError,
    Rule,
    bank_holidays,
    parse_closed_dates,
    parse_hours,
    spoken_hours,
)
from ivr.problems import ProblemList
from ivr.prompts import load_raw_prompts

ROOT = Path(__file__).resolve().parent.parent
WEEK = (0, 1, 2, 3, 4, 5, 6)
UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# ---------------------------------------------------------------- reading


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("always", Hours((), always=True)),
        ("  Always ", Hours((), always=True)),
        ("never", Hours(())),
        ("Mon-Sun 08:00-20:00", Hours((Rule(WEEK, dt.time(8), dt.time(20)),))),
        ("mon-sun 8:00 - 20:00", Hours((Rule(WEEK, dt.time(8), dt.time(20)),))),
        (
            "Mon-Fri 09:00-17:00; Sat 10:00-13:00",
            Hours(
                (
                    Rule((0, 1, 2, 3, 4), dt.time(9), dt.time(17)),
                    Rule((5,), dt.time(10), dt.time(13)),
                )
            ),
        ),
        (
            "Mon-Fri 09:00-17:00, Sat 10:00-13:00;",
            Hours(
                (
                    Rule((0, 1, 2, 3, 4), dt.time(9), dt.time(17)),
                    Rule((5,), dt.time(10), dt.time(13)),
                )
            ),
        ),
        ("Sat-Sun 10:30-24:00", Hours((Rule((5, 6), dt.time(10, 30), dt.time.max),))),
        ("Sun 08:00-00:00", Hours((Rule((6,), dt.time(8), dt.time.max),))),
    ],
)
def test_parse_forms(text: str, hours: Hours) -> None:
    """always, never and weekly rules (several, any case, end 24:00) are read into Hours."""
    assert parse_hours(text) == hours


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Mox-Fri 09:00-17:00",
            "NURSE_LINE_HOURS: 'mox-fri 09:00-17:00' has a day that is not one of "
            "mon, tue, wed, thu, fri, sat, sun",
        ),
        (
            "Fri-Mon 09:00-17:00",
            "NURSE_LINE_HOURS: 'fri-mon 09:00-17:00' runs backwards; write e.g. Mon-Fri",
        ),
        (
            "Mon-Sun 20:00-08:00",
            "NURSE_LINE_HOURS: 'mon-sun 20:00-08:00' ends before it starts; overnight hours are "
            "not supported, split them into two rules",
        ),
        (
            "Mon-Sun 08:00-08:00",
            "NURSE_LINE_HOURS: 'mon-sun 08:00-08:00' ends before it starts",
        ),
        ("Mon-Sun 25:00-26:00", "NURSE_LINE_HOURS: 25:00 is not a time of day; use 24-hour HH:MM"),
        ("Mon-Sun 08:60-20:00", "NURSE_LINE_HOURS: 08:60 is not a time of day; use 24-hour HH:MM"),
        ("Mon-Sun 24:00-24:00", "NURSE_LINE_HOURS: 24:00 is not a time of day"),
        ("Mon-Sun 08:00-24:30", "NURSE_LINE_HOURS: 24:30 is not a time of day"),
        (
            "Monday 08:00-20:00",
            "NURSE_LINE_HOURS: cannot read 'monday 08:00-20:00'; write always, never, or e.g. "
            "'Mon-Sun 08:00-20:00' or 'Mon-Fri 09:00-17:00; Sat 10:00-13:00'",
        ),
        ("Mon-Sun 8-20", "NURSE_LINE_HOURS: cannot read 'mon-sun 8-20'; write always, never"),
        ("", "NURSE_LINE_HOURS is empty; write always, never, or e.g. 'Mon-Sun 08:00-20:00'"),
        (" ; , ", "NURSE_LINE_HOURS is empty; write always, never"),
    ],
    ids=[
        "bad-day",
        "backwards",
        "overnight",
        "no-time-open",
        "bad-hour",
        "bad-minute",
        "start-24",
        "end-after-24",
        "day-name",
        "no-minutes",
        "empty",
        "only-separators",
    ],
)
def test_bad_forms_say_what_is_wrong(text: str, message: str) -> None:
    """Each bad form raises HoursError naming the setting, the fault and a right form."""
    with pytest.raises(HoursError) as raised:
        parse_hours(text)
    assert str(raised.value).startswith(message)


def test_error_names_the_setting_given() -> None:
    """The setting named in the error is the one the hours came from."""
    with pytest.raises(HoursError, match=r"^OFFICE_HOURS: 'fri-mon 09:00-17:00' runs backwards"):
        parse_hours("Fri-Mon 09:00-17:00", setting="OFFICE_HOURS")


def test_hours_error_is_a_value_error() -> None:
    """HoursError can be caught as a ValueError."""
    assert issubclass(HoursError, ValueError)


# ---------------------------------------------------------------- open or closed, UK time


DAILY = parse_hours("Mon-Sun 08:00-20:00")


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        # January: GMT, UK time is UTC.
        (utc(2025, 1, 15, 7, 59), False),
        (utc(2025, 1, 15, 8, 0), True),
        (utc(2025, 1, 15, 19, 59), True),
        (utc(2025, 1, 15, 20, 0), False),
        # July: BST, UK time is UTC + 1.
        (utc(2025, 7, 15, 6, 59), False),
        (utc(2025, 7, 15, 7, 0), True),
        (utc(2025, 7, 15, 18, 59), True),
        (utc(2025, 7, 15, 19, 0), False),
        (utc(2025, 7, 15, 19, 30), False),
        # The morning the clocks go forward (30 March 2025, 01:00 UTC).
        (utc(2025, 3, 30, 7, 0), True),
        (utc(2025, 3, 30, 6, 59), False),
        # The morning the clocks go back (26 October 2025, 01:00 UTC).
        (utc(2025, 10, 26, 8, 0), True),
        (utc(2025, 10, 26, 7, 59), False),
    ],
)
def test_is_open_at_the_boundaries_in_uk_time(now: dt.datetime, is_open: bool) -> None:
    """08:00 UK time opens and 20:00 closes, in GMT and in BST, given UTC times."""
    assert DAILY.is_open(now) is is_open


def test_is_open_accepts_any_timezone() -> None:
    """The same instant gives the same answer whatever timezone it is written in."""
    new_york = dt.timezone(dt.timedelta(hours=-4))
    assert DAILY.is_open(dt.datetime(2025, 7, 15, 2, 59, tzinfo=new_york)) is False
    assert DAILY.is_open(dt.datetime(2025, 7, 15, 3, 0, tzinfo=new_york)) is True


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        (utc(2025, 7, 11, 15, 59), True),  # Friday 16:59 BST
        (utc(2025, 7, 11, 16, 0), False),  # Friday 17:00 BST
        (utc(2025, 7, 12, 9, 0), True),  # Saturday 10:00 BST
        (utc(2025, 7, 12, 12, 0), False),  # Saturday 13:00 BST
        (utc(2025, 7, 13, 10, 0), False),  # Sunday
        (utc(2025, 1, 10, 16, 59), True),  # Friday 16:59 GMT
        (utc(2025, 1, 11, 9, 59), False),  # Saturday 09:59 GMT
    ],
)
def test_is_open_by_weekday(now: dt.datetime, is_open: bool) -> None:
    """Each rule applies on its own weekdays only."""
    assert parse_hours("Mon-Fri 09:00-17:00; Sat 10:00-13:00").is_open(now) is is_open


def test_weekday_is_taken_in_uk_time() -> None:
    """Saturday 23:30 UTC in July is already Sunday 00:30 in the UK."""
    sunday_small_hours = parse_hours("Sun 00:00-01:00")
    assert sunday_small_hours.is_open(utc(2025, 7, 12, 23, 30)) is True
    assert sunday_small_hours.is_open(utc(2025, 1, 11, 23, 30)) is False


def test_open_until_midnight() -> None:
    """An end of 24:00 keeps the line open through the last minute of the day."""
    late = parse_hours("Mon-Sun 20:00-24:00")
    assert late.is_open(utc(2025, 1, 15, 23, 59, 59)) is True
    assert late.is_open(utc(2025, 1, 16, 0, 0)) is False


@pytest.mark.parametrize("now", [utc(2025, 1, 15, 3, 0), utc(2025, 7, 15, 12, 0)])
def test_always_and_never(now: dt.datetime) -> None:
    """always is open at any time and never at none."""
    assert (parse_hours("always").is_open(now), parse_hours("never").is_open(now)) == (True, False)


# ---------------------------------------------------------------- saying the hours


@pytest.fixture(scope="module")
def words() -> dict[str, str]:
    """The real hours.* words from prompts/en-GB/hours.yaml, by prompt id."""
    problems = ProblemList()
    raw = load_raw_prompts(ROOT / "prompts" / "en-GB", problems, ROOT)
    return {i: p.text for i, p in raw.items() if i.startswith("hours.")}


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("always", "at any time, day or night"),
        ("never", "at set times, and it is closed for now"),
        ("Mon-Sun 08:00-20:00", "every day, from 8 in the morning until 8 at night"),
        (
            "Mon-Fri 09:00-17:00; Sat 10:00-13:00",
            "Monday to Friday, from 9 in the morning until 5 in the afternoon, "
            "and Saturday, from 10 in the morning until 1 in the afternoon",
        ),
        ("Sat-Sun 12:00-24:00", "Saturday to Sunday, from midday until midnight"),
        (
            "Tue 08:30-17:15",
            "Tuesday, from half past 8 in the morning until quarter past 5 in the afternoon",
        ),
        ("Wed 00:00-09:05", "Wednesday, from midnight until 9 05 in the morning"),
        ("Thu 18:00-21:45", "Thursday, from 6 at night until quarter to 10 at night"),
        ("Fri 11:45-13:00", "Friday, from quarter to 12 in the morning until 1 in the afternoon"),
    ],
)
def test_spoken_hours_with_the_real_words(words: dict[str, str], text: str, spoken: str) -> None:
    """Hours are said the way people say them, built from the hours.yaml words."""
    assert spoken_hours(parse_hours(text), words.__getitem__) == spoken


def test_spoken_hours_uses_the_words_given() -> None:
    """The words come from the prompts, so other words give other sentences."""
    other = {
        "hours.every_day": "daily",
        "hours.time_range": "{start} to {end}",
        "hours.morning": "{time} a.m.",
        "hours.night": "{time} p.m.",
    }
    assert spoken_hours(parse_hours("Mon-Sun 08:00-20:00"), lambda i: other.get(i, "")) == (
        "daily, 8 a.m. to 8 p.m."
    )


def test_bank_holidays_close_the_line_by_nation() -> None:
    """Open every day, the line is closed on Christmas Day and on St Andrew's Day in Scotland."""
    every_day = parse_hours("Mon-Sun 08:00-20:00")
    christmas = dt.datetime(2026, 12, 25, 12, 0, tzinfo=dt.UTC)
    st_andrews_observed = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
    england = dataclasses.replace(every_day, holidays=bank_holidays("england"))
    scotland = dataclasses.replace(every_day, holidays=bank_holidays("scotland"))
    assert every_day.is_open(christmas)
    assert not england.is_open(christmas)
    assert england.is_open(st_andrews_observed)
    assert not scotland.is_open(st_andrews_observed)


def test_extra_closed_dates_close_the_line_even_when_always_open() -> None:
    """A date in NURSE_LINE_CLOSED_DATES closes the line all day, UK time."""
    closed = dataclasses.replace(
        parse_hours("always"), closed_dates=parse_closed_dates("2026-12-24, 2026-12-31")
    )
    assert not closed.is_open(dt.datetime(2026, 12, 24, 23, 30, tzinfo=dt.UTC))
    assert closed.is_open(dt.datetime(2026, 12, 23, 23, 30, tzinfo=dt.UTC))
    assert closed.is_open(dt.datetime(2026, 12, 25, 0, 30, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    ("setting", "value"),
    [("NURSE_LINE_HOLIDAYS", "mars"), ("NURSE_LINE_CLOSED_DATES", "24/12/2026")],
)
def test_bad_holiday_settings_say_what_is_right(setting: str, value: str) -> None:
    """A nation or date that cannot be read stops start-up with what would be right."""
    with pytest.raises(ConfigError) as raised:
        load_settings({setting: value}, development=True)
    assert any(setting in problem for problem in raised.value.problems)
