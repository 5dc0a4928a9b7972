"""Tests for ivr.content.hours: reading NURSE_LINE_HOURS, checking it in UK time, and saying it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from ivr.config import ConfigError, load_settings
from ivr.content.hours import (
    Hours,
    HoursError,
    Opening,
    Rule,
    bank_holidays,
    next_opening,
    nurse_hours_sentence,
    opening_sentence,
    parse_closed_dates,
    parse_hours,
    possible_openings,
    spoken_hours,
)
from ivr.content.problems import ProblemList
from ivr.content.prompts import load_raw_prompts

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
        ("never", ""),
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


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("always", "The nurse line is open at any time, day or night."),
        ("never", "The nurse line is closed for now."),
        (
            "Mon-Sun 08:00-20:00",
            "The nurse line is open every day, from 8 in the morning until 8 at night.",
        ),
    ],
)
def test_nurse_hours_is_one_sentence_that_never_contradicts_itself(
    words: dict[str, str], text: str, sentence: str
) -> None:
    """{nurse_hours} is a whole sentence: open at set hours or always, or closed for now."""
    assert nurse_hours_sentence(parse_hours(text), words.__getitem__) == sentence


@pytest.mark.parametrize(
    ("hours", "now", "opening"),
    [
        # Mon-Fri 9 to 5: Friday 20 November 2026 and the days around it (UK time = UTC then).
        ("Mon-Fri 09:00-17:00", utc(2026, 11, 20, 8, 0), Opening("today", dt.time(9))),
        ("Mon-Fri 09:00-17:00", utc(2026, 11, 20, 17, 0), Opening("monday", dt.time(9))),
        ("Mon-Fri 09:00-17:00", utc(2026, 11, 21, 12, 0), Opening("monday", dt.time(9))),
        ("Mon-Fri 09:00-17:00", utc(2026, 11, 22, 23, 59), Opening("tomorrow", dt.time(9))),
        # Two rules in a day: the next one to start.
        (
            "Mon-Fri 09:00-12:00; Mon-Fri 14:00-17:00",
            utc(2026, 11, 20, 12, 30),
            Opening("today", dt.time(14)),
        ),
        # In summer time: 07:30 UTC is 08:30 in the UK, before a 09:00 opening.
        ("Mon-Fri 09:00-17:00", utc(2026, 7, 1, 7, 30), Opening("today", dt.time(9))),
        ("always", utc(2026, 11, 20, 12, 0), None),
        ("never", utc(2026, 11, 20, 12, 0), None),
    ],
)
def test_next_opening(hours: str, now: dt.datetime, opening: Opening | None) -> None:
    """When a closed line opens next: today, tomorrow, or a weekday's name, with the time."""
    assert next_opening(parse_hours(hours), now) == opening


def test_next_opening_skips_closed_days_and_gives_up_beyond_a_week() -> None:
    """Bank holidays and closed dates are skipped; past a week ahead nothing is said."""
    hours = dataclasses.replace(
        parse_hours("Mon-Fri 09:00-17:00"), holidays=bank_holidays("england")
    )
    # Christmas Day 2026 is a Friday; Boxing Day's holiday is Monday the 28th.
    assert next_opening(hours, utc(2026, 12, 24, 18, 0)) == Opening("tuesday", dt.time(9))
    closed = frozenset(dt.date(2026, 11, 23) + dt.timedelta(days=n) for n in range(10))
    shut = dataclasses.replace(parse_hours("Mon-Fri 09:00-17:00"), closed_dates=closed)
    assert next_opening(shut, utc(2026, 11, 21, 12, 0)) is None


def test_every_opening_can_be_said(words: dict[str, str]) -> None:
    """Each opening the hours can give has its sentence, made from the hours.yaml words."""
    hours = parse_hours("Mon-Fri 09:00-17:00; Sat 10:30-13:00")
    openings = possible_openings(hours)
    assert len(openings) == 2 * 2 + 5 + 1  # today and tomorrow at each time, and each day
    for day in range(7):
        for minute in range(0, 24 * 60, 30):
            now = dt.datetime(2026, 11, 16 + day, minute // 60, minute % 60, tzinfo=UTC)
            found = next_opening(hours, now)
            assert found is None or found in openings, now
    said = {opening_sentence(o, words.__getitem__) for o in openings}
    assert "It opens on Saturday at half past 10 in the morning." in said
    assert "It opens tomorrow at 9 in the morning." in said
    assert Opening("monday", dt.time(9)).prompt_id("scotland") == "opens.scotland.monday_0900"
