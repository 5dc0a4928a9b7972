"""Tests for ivr.config: every bad setting named with what would be right, all at once."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from ivr.config import (
    DEVELOPMENT_NURSE_LINE,
    PROJECT_ROOT,
    ConfigError,
    Settings,
    load_settings,
)
from ivr.content.hours import BankHolidays, parse_hours
from ivr.numbers import TextsFrom


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A folder holding flows/, as CONTENT_DIR must."""
    (tmp_path / "flows").mkdir()
    return tmp_path


@pytest.fixture
def production(content_dir: Path) -> dict[str, str]:
    """A complete, correct production environment."""
    return {
        "TWILIO_AUTH_TOKEN": "an-auth-token",
        "SECRET_KEY": "a-long-random-secret",
        "NURSE_LINE_NUMBER": "+448081234567",
        "NURSE_LINE_HOURS": "Mon-Fri 09:00-17:00",
        "SERVICE_RUN_BY": "the Example Cancer Trust",
        "PUBLIC_BASE_URL": "https://helpline.example.org",
        "CONTENT_DIR": str(content_dir),
    }


def problems_of(env: dict[str, str], development: bool = False) -> list[str]:
    """The problems ConfigError reports for this environment."""
    with pytest.raises(ConfigError) as raised:
        load_settings(env, development)
    return raised.value.problems


def test_correct_production_settings_load(production: dict[str, str], content_dir: Path) -> None:
    """A complete production environment loads, with defaults for what it leaves out."""
    settings = load_settings(production)
    assert settings == Settings(
        twilio_auth_token="an-auth-token",
        secret_key="a-long-random-secret",
        nurse_line_number="+448081234567",
        nurse_line_hours=replace(
            parse_hours("Mon-Fri 09:00-17:00"), holidays=BankHolidays("england")
        ),
        nurse_line_hours_text="Mon-Fri 09:00-17:00",
        service_name="second opinion information line",
        dial_timeout=30,
        say_voice="Polly.Amy",
        public_base_url="https://helpline.example.org",
        proxy_hops=0,
        content_dir=content_dir,
        development=False,
        run_by="the Example Cancer Trust",
    )
    assert settings.signatures_checked is True
    # The slower voice waits longer for a key than the usual one: 12 s against 8.
    assert (settings.paces["normal"].wait, settings.paces["slow"].wait) == (8, 12)


def test_values_are_trimmed_and_read(production: dict[str, str]) -> None:
    """Spaces around values (and inside a phone number) are ignored; numbers are read as ints."""
    settings = load_settings(
        {
            **production,
            "NURSE_LINE_NUMBER": " +44 808 123 4567 ",
            "GATHER_TIMEOUT": " 15 ",
            "DIAL_TIMEOUT": "10",
            "PROXY_HOPS": "0",
            "PUBLIC_BASE_URL": "https://helpline.example.org/",
            "SERVICE_NAME": "  test line ",
            "SAY_VOICE": "Polly.Brian",
        }
    )
    assert (
        settings.nurse_line_number,
        settings.gather_timeout,
        settings.dial_timeout,
        settings.proxy_hops,
        settings.public_base_url,
        settings.service_name,
        settings.say_voice,
    ) == ("+448081234567", 15, 10, 0, "https://helpline.example.org", "test line", "Polly.Brian")


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("TWILIO_AUTH_TOKEN", "", "TWILIO_AUTH_TOKEN is not set: the production server checks"),
        ("SECRET_KEY", "  ", "SECRET_KEY is not set: set it to a long random string"),
        (
            "NURSE_LINE_NUMBER",
            "",
            "NURSE_LINE_NUMBER is not set: set it to the nurse line in E.164",
        ),
        (
            "NURSE_LINE_NUMBER",
            "08081234567",
            "NURSE_LINE_NUMBER='08081234567' is not in E.164 form: write it with + and the "
            "country code and no leading 0, such as +448081234567",
        ),
        ("NURSE_LINE_NUMBER", "+44-808-123-4567", "NURSE_LINE_NUMBER='+44-808-123-4567' is not in"),
        ("NURSE_LINE_NUMBER", "+0448081234567", "NURSE_LINE_NUMBER='+0448081234567' is not in"),
        (
            "NURSE_LINE_HOURS",
            "Mon-Sun 20:00-08:00",
            "NURSE_LINE_HOURS: 'mon-sun 20:00-08:00' ends before it starts",
        ),
        ("NURSE_LINE_HOURS", "weekdays", "NURSE_LINE_HOURS: cannot read 'weekdays'; write always"),
        (
            "GATHER_TIMEOUT",
            "4",
            "GATHER_TIMEOUT='4' must be a whole number from 5 to 15 (default 8)",
        ),
        ("GATHER_TIMEOUT", "16", "GATHER_TIMEOUT='16' must be a whole number from 5 to 15"),
        ("GATHER_TIMEOUT", "8.5", "GATHER_TIMEOUT='8.5' must be a whole number from 5 to 15"),
        ("GATHER_TIMEOUT", "-6", "GATHER_TIMEOUT='-6' must be a whole number from 5 to 15"),
        ("DIAL_TIMEOUT", "121", "DIAL_TIMEOUT='121' must be a whole number from 10 to 120"),
        ("PROXY_HOPS", "six", "PROXY_HOPS='six' must be a whole number from 0 to 5 (default 0)"),
        (
            "PUBLIC_BASE_URL",
            "helpline.example.org",
            "PUBLIC_BASE_URL='helpline.example.org' must be the address Twilio calls, such as "
            "https://helpline.example.org",
        ),
        ("PUBLIC_BASE_URL", "ftp://example.org", "PUBLIC_BASE_URL='ftp://example.org' must be"),
        ("PUBLIC_BASE_URL", "https://a b.org", "PUBLIC_BASE_URL='https://a b.org' must be"),
        ("SERVICE_RUN_BY", " ", "SERVICE_RUN_BY is not set: callers hear who runs this line"),
        (
            "GATHER_SLOW_TIMEOUT",
            "10",
            "GATHER_SLOW_TIMEOUT='10' must be a whole number from 12 to 30 (default 12)",
        ),
        (
            "TWILIO_MESSAGING_SERVICE_SID",
            "PN123",
            "TWILIO_MESSAGING_SERVICE_SID='PN123' must be MG followed by 32 hexadecimal digits",
        ),
        ("SMS_FROM", "07400123456", "SMS_FROM='07400123456' must be a number in E.164 form"),
    ],
)
def test_each_bad_value_is_named_with_what_is_right(
    production: dict[str, str], name: str, value: str, problem: str
) -> None:
    """One bad or missing production setting gives exactly one problem naming it and the fix."""
    found = problems_of({**production, name: value})
    assert len(found) == 1
    assert found[0].startswith(problem)


def test_content_dir_without_flows(production: dict[str, str], tmp_path: Path) -> None:
    """CONTENT_DIR pointing at a folder without flows/ is named, saying what it must hold."""
    empty = tmp_path / "empty"
    empty.mkdir()
    assert problems_of({**production, "CONTENT_DIR": str(empty)}) == [
        f"CONTENT_DIR={str(empty)!r} has no flows/ folder: point it at the folder that holds "
        "flows/ and prompts/"
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GATHER_TIMEOUT", "5"),
        ("GATHER_TIMEOUT", "15"),
        ("PROXY_HOPS", "5"),
        ("GATHER_SLOW_TIMEOUT", "12"),
        ("GATHER_SLOW_TIMEOUT", "30"),
    ],
)
def test_range_ends_are_allowed(production: dict[str, str], name: str, value: str) -> None:
    """The lowest and highest values of a range are accepted."""
    settings = load_settings({**production, name: value})
    assert getattr(settings, name.lower()) == int(value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """An environment with many faults names every one of them in one ConfigError."""
    env = {
        "NURSE_LINE_NUMBER": "0808 123 4567",
        "NURSE_LINE_HOURS": "Fri-Mon 09:00-17:00",
        "GATHER_TIMEOUT": "99",
        "PUBLIC_BASE_URL": "example.org",
        "CONTENT_DIR": str(tmp_path),
    }
    with pytest.raises(ConfigError) as raised:
        load_settings(env)
    found = raised.value.problems
    assert [re.findall(r"^[A-Z_]+", p)[0] for p in found] == [
        "TWILIO_AUTH_TOKEN",
        "SECRET_KEY",
        "NURSE_LINE_NUMBER",
        "NURSE_LINE_HOURS",
        "PUBLIC_BASE_URL",
        "CONTENT_DIR",
        "GATHER_TIMEOUT",
        "SERVICE_RUN_BY",
    ]
    message = str(raised.value)
    assert message.startswith("The helpline cannot start:\n")
    assert all(f"  - {p}" in message for p in found)


def test_development_defaults(content_dir: Path) -> None:
    """Development needs nothing set: a fictional nurse number, a random secret, no token."""
    first = load_settings({"CONTENT_DIR": str(content_dir)}, development=True)
    second = load_settings({"CONTENT_DIR": str(content_dir)}, development=True)
    assert first.nurse_line_number == DEVELOPMENT_NURSE_LINE == "+441632960000"
    assert first.twilio_auth_token is None
    assert first.signatures_checked is False
    assert first.development is True
    assert len(first.secret_key) == 64
    int(first.secret_key, 16)  # hexadecimal
    assert first.secret_key != second.secret_key
    assert first.nurse_line_hours == replace(
        parse_hours("Mon-Sun 08:00-20:00"), holidays=BankHolidays("england")
    )
    assert first.nurse_line_hours_text == "Mon-Sun 08:00-20:00"


def test_development_uses_what_is_set(content_dir: Path) -> None:
    """In development, a token, secret and number that are set are used as given."""
    settings = load_settings(
        {
            "TWILIO_AUTH_TOKEN": "tok",
            "SECRET_KEY": "sec",
            "NURSE_LINE_NUMBER": "+447700900123",
            "CONTENT_DIR": str(content_dir),
        },
        development=True,
    )
    assert (settings.twilio_auth_token, settings.secret_key, settings.nurse_line_number) == (
        "tok",
        "sec",
        "+447700900123",
    )
    assert settings.signatures_checked is True


def test_development_still_checks_values(content_dir: Path) -> None:
    """Development mode forgives missing secrets, not wrong values."""
    env = {
        "NURSE_LINE_NUMBER": "01632 960000",
        "GATHER_TIMEOUT": "3",
        "CONTENT_DIR": str(content_dir),
    }
    assert problems_of(env, development=True) == [
        "NURSE_LINE_NUMBER='01632960000' is not in E.164 form: write it with + and the country "
        "code and no leading 0, such as +448081234567",
        "GATHER_TIMEOUT='3' must be a whole number from 5 to 15 (default 8)",
    ]


def test_content_dir_defaults_to_the_project() -> None:
    """Without CONTENT_DIR the project's own folder, which holds flows/, is used."""
    settings = load_settings({}, development=True)
    assert settings.content_dir == PROJECT_ROOT
    assert (PROJECT_ROOT / "flows").is_dir()


def test_the_slower_voice_never_waits_less_than_the_usual_one(production: dict[str, str]) -> None:
    """Unset, the slow pace waits 12 s or the usual wait if longer; set lower, it is refused."""
    settings = load_settings({**production, "GATHER_TIMEOUT": "15"})
    assert (settings.paces["normal"].wait, settings.paces["slow"].wait) == (15, 15)
    settings = load_settings({**production, "GATHER_SLOW_TIMEOUT": "20"})
    assert (settings.paces["normal"].wait, settings.paces["slow"].wait) == (8, 20)
    assert problems_of({**production, "GATHER_TIMEOUT": "15", "GATHER_SLOW_TIMEOUT": "13"}) == [
        "GATHER_SLOW_TIMEOUT (13 s) must be at least GATHER_TIMEOUT (15 s): the slower voice "
        "is for callers who need more time"
    ]


def test_who_runs_the_line_is_read_and_development_has_a_default(content_dir: Path) -> None:
    """SERVICE_RUN_BY is read with its spaces tidied; development falls back to a default."""
    env = {"CONTENT_DIR": str(content_dir)}
    settings = load_settings({**env, "SERVICE_RUN_BY": "  the  Example Trust "}, development=True)
    assert settings.run_by == "the Example Trust"
    assert load_settings(env, development=True).run_by == "the helpline team"


def test_texts_are_sent_from_a_messaging_service_or_a_number(production: dict[str, str]) -> None:
    """TWILIO_MESSAGING_SERVICE_SID or SMS_FROM say where texts come from; neither: none."""
    service = "MG" + "0" * 32
    settings = load_settings({**production, "TWILIO_MESSAGING_SERVICE_SID": service})
    assert settings.texts_from == TextsFrom(service, None)
    settings = load_settings({**production, "SMS_FROM": " +447400123456 "})
    assert settings.texts_from == TextsFrom(None, "+447400123456")
    assert load_settings(production).texts_from is None
