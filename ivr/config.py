"""Settings from the environment (and a .env file), checked once with clear messages."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from ivr.audio.pace import Pace
from ivr.content.hours import Hours, HoursError, bank_holidays, parse_closed_dates, parse_hours
from ivr.content.model import DEFAULT_RETENTION_DAYS, DEFAULT_RUN_BY
from ivr.numbers import E164, TextsFrom, texts_from

# A fictional UK number (Ofcom's drama range) so development never rings a real phone.
DEVELOPMENT_NURSE_LINE = "+441632960000"
PROMPT_AUDIO_MODES = ("auto", "play", "say")
NURSE_RING_MODES = ("all", "turn")
# Engine rates are not words a minute (espeak-ng at 175 spoke about 200 here); these defaults were
# measured to keep the rendered prompts under each ceiling, and `ivr check` measures them again.
# The <Say> rates are Amazon Polly prosody: its voices speak about 150-160 words a minute.
# The slow pace also waits longer for a key: 12 s or more, for callers who use text relay
# (Relay UK, 18001) or need the time.
DEFAULT_PACES = {
    "normal": Pace("normal", 115, "90%", 140, wait=8),
    "slow": Pace("slow", 90, "70%", 110, wait=12),
}
MIN_SLOW_WAIT = 12
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'instance' / 'helpline.sqlite3'}"
DEFAULT_AUDIO_DIR = PROJECT_ROOT / "instance" / "audio"
# What DATABASE_URL may be: PostgreSQL as hosting platforms give it, or a SQLite file.
DATABASE_URL_FORMS = ("postgres://", "postgresql://", "postgresql+psycopg://", "sqlite:///")
_HTTP_URL = re.compile(r"^https?://[^/\s]+(/\S*)?$")


class ConfigError(Exception):
    """The configuration cannot be used; the message says what is wrong and what would be right."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("The helpline cannot start:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Settings:
    """Everything the helpline reads from its environment."""

    twilio_auth_token: str | None
    secret_key: str
    nurse_line_number: str | None
    nurse_line_hours: Hours
    nurse_line_hours_text: str
    service_name: str
    dial_timeout: int
    say_voice: str
    public_base_url: str | None
    proxy_hops: int
    content_dir: Path
    development: bool
    log_level: str = "INFO"
    prompt_audio: str = "auto"
    audio_dir: Path = DEFAULT_AUDIO_DIR
    audio_base_url: str | None = None
    tts_voice: str = "auto"
    paces: Mapping[str, Pace] = field(default_factory=lambda: dict(DEFAULT_PACES))
    database_url: str = DEFAULT_DATABASE_URL
    twilio_account_sid: str | None = None
    twilio_api_base_url: str | None = None  # Twilio's own unless set (a stand-in, for tests)
    retention_days: int = DEFAULT_RETENTION_DAYS
    run_by: str = DEFAULT_RUN_BY  # who runs the line, as callers hear it (SERVICE_RUN_BY)
    nurse_ring: str = "all"  # NURSE_RING: all (every free nurse at once) or turn (one by one)
    nurse_ring_seconds: int = 20  # NURSE_RING_SECONDS: how long each nurse rings, in turn
    queue_limit_minutes: int = 10  # QUEUE_LIMIT_MINUTES: past it the queue offers a call back
    languages: tuple[str, ...] = ()  # LANGUAGES: those offered; none named: the flow's first
    languages_unreviewed: tuple[str, ...] = ()  # LANGUAGES_UNREVIEWED: may go live unreviewed
    # The number called (Twilio's To, E.164) -> the language its calls start in (LANGUAGE_BY_NUMBER)
    language_by_number: Mapping[str, str] = field(default_factory=dict)
    # The helpline's name in languages besides the first (SERVICE_NAME_CY_GB), by code
    service_names: Mapping[str, str] = field(default_factory=dict)
    texts_from: TextsFrom | None = None  # TWILIO_MESSAGING_SERVICE_SID or SMS_FROM, for texts

    @property
    def gather_timeout(self) -> int:
        """Seconds a menu waits for a key at the usual pace (GATHER_TIMEOUT)."""
        return self.paces["normal"].wait

    @property
    def gather_slow_timeout(self) -> int:
        """Seconds a menu waits for a key at the slower pace (GATHER_SLOW_TIMEOUT)."""
        return self.paces["slow"].wait

    @property
    def signatures_checked(self) -> bool:
        """Whether webhook signatures are checked (a TWILIO_AUTH_TOKEN is set)."""
        return self.twilio_auth_token is not None


def _int(
    env: Mapping[str, str], name: str, default: int, low: int, high: int, problems: list[str]
) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        problems.append(
            f"{name}={raw!r} must be a whole number from {low} to {high} (default {default})"
        )
        return default
    return int(raw)


def _database_url(raw: str, problems: list[str]) -> str:
    """DATABASE_URL as given, if the store takes it (it names SQLAlchemy's driver itself:
    ivr.store.connection.sqlalchemy_url); SQLite in the instance folder unless it is set."""
    if not raw:
        return DEFAULT_DATABASE_URL
    if raw.startswith(DATABASE_URL_FORMS):
        return raw
    problems.append(
        "DATABASE_URL must be postgresql://user:password@host:port/db (or "
        "postgres://..., as hosting platforms give it) or sqlite:///path/to/file"
    )
    return DEFAULT_DATABASE_URL


def _percent(env: Mapping[str, str], name: str, default: str, problems: list[str]) -> str:
    raw = env.get(name, "").strip() or default
    if not re.match(r"^\d{2,3}%$", raw) or not 20 <= int(raw[:-1]) <= 200:
        problems.append(
            f"{name}={raw!r} must be a speaking rate from 20% to 200% (default {default})"
        )
        return default
    return raw


def _auth_token(env: Mapping[str, str], development: bool, problems: list[str]) -> str | None:
    """TWILIO_AUTH_TOKEN: required, but for `ivr serve`."""
    token = env.get("TWILIO_AUTH_TOKEN", "").strip() or None
    if token is None and not development:
        problems.append(
            "TWILIO_AUTH_TOKEN is not set: the production server checks every request's "
            "signature with it (find it in the Twilio Console; `ivr serve` runs without it)"
        )
    return token


def _secret_key(env: Mapping[str, str], development: bool, problems: list[str]) -> str:
    """SECRET_KEY: required, but for `ivr serve`, which makes a random one."""
    secret = env.get("SECRET_KEY", "").strip()
    if not secret:
        if not development:
            problems.append(
                "SECRET_KEY is not set: set it to a long random string, e.g. "
                "the output of `python -c 'import secrets; print(secrets.token_hex())'`"
            )
        secret = secrets.token_hex(32)
    return secret


def _nurse_line(env: Mapping[str, str], development: bool, problems: list[str]) -> str | None:
    """NURSE_LINE_NUMBER in E.164 form: required, but for `ivr serve` (a fictional one)."""
    number = env.get("NURSE_LINE_NUMBER", "").strip().replace(" ", "") or None
    if number is None and development:
        number = DEVELOPMENT_NURSE_LINE
    if number is None:
        problems.append(
            "NURSE_LINE_NUMBER is not set: set it to the nurse line in E.164 form, "
            "such as +448081234567"
        )
    elif not E164.match(number):
        problems.append(
            f"NURSE_LINE_NUMBER={number!r} is not in E.164 form: write it with + and "
            "the country code and no leading 0, such as +448081234567"
        )
    return number


def _nurse_hours(env: Mapping[str, str], problems: list[str]) -> tuple[str, Hours]:
    """NURSE_LINE_HOURS as written, and the hours with their bank holidays and closed dates."""
    hours_text = env.get("NURSE_LINE_HOURS", "").strip() or "Mon-Sun 08:00-20:00"
    try:
        hours = parse_hours(hours_text)
    except HoursError as error:
        problems.append(str(error))
        hours = Hours(())
    nation = env.get("NURSE_LINE_HOLIDAYS", "").strip().lower() or "england"
    try:
        hours = replace(
            hours,
            closed_dates=parse_closed_dates(env.get("NURSE_LINE_CLOSED_DATES", "")),
            holidays=None if nation == "none" else bank_holidays(nation),
        )
    except HoursError as error:
        problems.append(str(error))
    return hours_text, hours


def _public_base_url(env: Mapping[str, str], development: bool, problems: list[str]) -> str | None:
    """PUBLIC_BASE_URL, the address Twilio calls: required, but for `ivr serve`."""
    base = env.get("PUBLIC_BASE_URL", "").strip().rstrip("/") or None
    if base is not None and not _HTTP_URL.match(base):
        problems.append(
            f"PUBLIC_BASE_URL={base!r} must be the address Twilio calls, such as "
            "https://helpline.example.org"
        )
    elif base is None and not development:
        # Signatures are checked against this address, never one a request names itself (a
        # Host or X-Forwarded-Host header): a request signed for another site is refused.
        problems.append(
            "PUBLIC_BASE_URL is not set: set it to the https address Twilio calls, such as "
            "https://helpline.example.org (webhook signatures are checked against it)"
        )
    return base


def _content_dir(env: Mapping[str, str], problems: list[str]) -> Path:
    """CONTENT_DIR: the folder holding flows/ and prompts/ (this project unless set)."""
    content_dir = Path(env.get("CONTENT_DIR", "").strip() or PROJECT_ROOT)
    if not (content_dir / "flows").is_dir():
        problems.append(
            f"CONTENT_DIR={str(content_dir)!r} has no flows/ folder: point it at the "
            "folder that holds flows/ and prompts/"
        )
    return content_dir


def _log_level(env: Mapping[str, str], problems: list[str]) -> str:
    """LOG_LEVEL: INFO unless set."""
    log_level = env.get("LOG_LEVEL", "").strip().upper() or "INFO"
    if log_level not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL={log_level!r} must be one of {', '.join(LOG_LEVELS)}")
        log_level = "INFO"
    return log_level


def _one_of(
    env: Mapping[str, str], name: str, modes: tuple[str, ...], must_be: str, problems: list[str]
) -> str:
    """A setting that is one of a few words (the first is the default); else a problem
    saying what each word means."""
    value = env.get(name, "").strip().lower() or modes[0]
    if value not in modes:
        problems.append(f"{name}={value!r} must be {must_be}")
        value = modes[0]
    return value


def _nurse_ring(env: Mapping[str, str], problems: list[str]) -> str:
    """How a call reaches the nurses on duty: all at once, or in turn."""
    must_be = (
        "all (every free nurse rings at once) or turn "
        "(one after another, each for NURSE_RING_SECONDS)"
    )
    return _one_of(env, "NURSE_RING", NURSE_RING_MODES, must_be, problems)


def _prompt_audio(env: Mapping[str, str], problems: list[str]) -> str:
    """PROMPT_AUDIO: auto, play or say."""
    must_be = (
        "auto (rendered audio where it exists, else <Say>), play (always rendered audio) "
        "or say (always <Say>)"
    )
    return _one_of(env, "PROMPT_AUDIO", PROMPT_AUDIO_MODES, must_be, problems)


def _audio_base_url(env: Mapping[str, str], problems: list[str]) -> str | None:
    """AUDIO_BASE_URL: where the audio is served from, if not from this app."""
    audio_base = env.get("AUDIO_BASE_URL", "").strip().rstrip("/") or None
    if audio_base is not None and not _HTTP_URL.match(audio_base):
        problems.append(
            f"AUDIO_BASE_URL={audio_base!r} must be where the audio files are "
            "served, such as https://cdn.example.org/helpline-audio"
        )
    return audio_base


def _paces(env: Mapping[str, str], problems: list[str]) -> dict[str, Pace]:
    """Both paces: the engine's and <Say>'s rates, and how long a menu waits at each."""
    normal, slow = DEFAULT_PACES["normal"], DEFAULT_PACES["slow"]
    gather_timeout = _int(env, "GATHER_TIMEOUT", normal.wait, 5, 15, problems)
    paces = {
        "normal": Pace(
            "normal",
            _int(env, "TTS_RATE", normal.engine_rate, 60, 250, problems),
            _percent(env, "SAY_RATE", normal.say_rate, problems),
            normal.max_words_per_minute,
            gather_timeout,
        ),
        "slow": Pace(
            "slow",
            _int(env, "TTS_SLOW_RATE", slow.engine_rate, 40, 250, problems),
            _percent(env, "SAY_SLOW_RATE", slow.say_rate, problems),
            slow.max_words_per_minute,
            # By default at least 12 s, and never less than the usual wait.
            _int(
                env,
                "GATHER_SLOW_TIMEOUT",
                max(slow.wait, gather_timeout),
                MIN_SLOW_WAIT,
                30,
                problems,
            ),
        ),
    }
    if paces["slow"].wait < gather_timeout:
        problems.append(
            f"GATHER_SLOW_TIMEOUT ({paces['slow'].wait} s) must be at least GATHER_TIMEOUT "
            f"({gather_timeout} s): the slower voice is for callers who need more time"
        )
    if paces["slow"].engine_rate >= paces["normal"].engine_rate:
        problems.append("TTS_SLOW_RATE must be lower than TTS_RATE (the slow pace is slower)")
    return paces


def _run_by(env: Mapping[str, str], development: bool, problems: list[str]) -> str:
    """SERVICE_RUN_BY: required, but for `ivr serve`."""
    run_by = " ".join(env.get("SERVICE_RUN_BY", "").split())
    if not run_by:
        if not development:
            problems.append(
                "SERVICE_RUN_BY is not set: callers hear who runs this line (where the "
                "information comes from); set it to your organisation's name, as in "
                "'the Example Cancer Trust'"
            )
        run_by = DEFAULT_RUN_BY
    return run_by


def _account_sid(env: Mapping[str, str], problems: list[str]) -> str | None:
    """TWILIO_ACCOUNT_SID, needed only to move live calls."""
    account_sid = env.get("TWILIO_ACCOUNT_SID", "").strip() or None
    if account_sid is not None and not re.match(r"^AC[0-9a-f]{32}$", account_sid):
        problems.append(
            f"TWILIO_ACCOUNT_SID={account_sid!r} must be AC followed by 32 "
            "hexadecimal digits (the Twilio Console shows it)"
        )
        account_sid = None
    return account_sid


_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}-[A-Z]{2}$")


def _languages(env: Mapping[str, str], name: str, problems: list[str]) -> tuple[str, ...]:
    """A list of languages as their folders under prompts/ are named (en-GB, cy-GB)."""
    codes = tuple(c.strip() for c in env.get(name, "").split(",") if c.strip())
    wrong = [c for c in codes if not _LANGUAGE_CODE.match(c)]
    if wrong:
        problems.append(
            f"{name}={env[name]!r}: {', '.join(wrong)} is not a language as prompts/ names "
            "it: write codes such as en-GB,cy-GB, separated by commas"
        )
        return ()
    return codes


_SERVICE_NAME_IN = re.compile(r"^SERVICE_NAME_([A-Z]{2,3})_([A-Z]{2})$")


def _service_names(env: Mapping[str, str]) -> dict[str, str]:
    """SERVICE_NAME_CY_GB=llinell wybodaeth ail farn: the helpline's name in cy-GB."""
    names = {}
    for name, value in env.items():
        found = _SERVICE_NAME_IN.match(name)
        if found and value.strip():
            names[f"{found[1].lower()}-{found[2]}"] = " ".join(value.split())
    return names


def _language_by_number(
    env: Mapping[str, str], offered: tuple[str, ...], problems: list[str]
) -> dict[str, str]:
    """LANGUAGE_BY_NUMBER=+442920180000=cy-GB: calls to that number start in Welsh."""
    found: dict[str, str] = {}
    for pair in (p.strip() for p in env.get("LANGUAGE_BY_NUMBER", "").split(",") if p.strip()):
        number, _, code = (part.strip() for part in pair.partition("="))
        if not E164.match(number) or not _LANGUAGE_CODE.match(code):
            problems.append(
                f"LANGUAGE_BY_NUMBER: {pair!r} is not a number and a language: write the "
                "number called in E.164 and its language, as +442920180000=cy-GB, "
                "separated by commas"
            )
        elif offered and code not in offered:
            problems.append(
                f"LANGUAGE_BY_NUMBER: {number} starts calls in {code}, which LANGUAGES "
                f"({','.join(offered)}) does not offer: add {code} to LANGUAGES"
            )
        else:
            found[number] = code
    return found


def load_settings(env: Mapping[str, str], development: bool = False) -> Settings:
    """Read and check every setting; raise ConfigError naming each bad one."""
    problems: list[str] = []
    # In this order: ConfigError names the problems in the order they are found.
    token = _auth_token(env, development, problems)
    secret = _secret_key(env, development, problems)
    number = _nurse_line(env, development, problems)
    hours_text, hours = _nurse_hours(env, problems)
    base = _public_base_url(env, development, problems)
    content_dir = _content_dir(env, problems)
    log_level = _log_level(env, problems)
    prompt_audio = _prompt_audio(env, problems)
    audio_base = _audio_base_url(env, problems)
    paces = _paces(env, problems)
    database_url = _database_url(env.get("DATABASE_URL", "").strip(), problems)
    run_by = _run_by(env, development, problems)
    languages = _languages(env, "LANGUAGES", problems)
    account_sid = _account_sid(env, problems)
    settings = Settings(
        twilio_auth_token=token,
        secret_key=secret,
        nurse_line_number=number,
        nurse_line_hours=hours,
        nurse_line_hours_text=hours_text,
        service_name=env.get("SERVICE_NAME", "").strip() or "second opinion information line",
        dial_timeout=_int(env, "DIAL_TIMEOUT", 30, 10, 120, problems),
        say_voice=env.get("SAY_VOICE", "").strip() or "Polly.Amy",
        public_base_url=base,
        # Forwarded headers are trusted only when a proxy is said to be in front.
        proxy_hops=_int(env, "PROXY_HOPS", 0, 0, 5, problems),
        content_dir=content_dir,
        development=development,
        log_level=log_level,
        prompt_audio=prompt_audio,
        audio_dir=Path(env.get("AUDIO_DIR", "").strip() or DEFAULT_AUDIO_DIR),
        audio_base_url=audio_base,
        tts_voice=env.get("TTS_VOICE", "").strip() or "auto",
        paces=paces,
        database_url=database_url,
        twilio_account_sid=account_sid,
        twilio_api_base_url=env.get("TWILIO_API_BASE_URL", "").strip().rstrip("/") or None,
        retention_days=_int(env, "RETENTION_DAYS", DEFAULT_RETENTION_DAYS, 1, 3650, problems),
        run_by=run_by,
        nurse_ring=_nurse_ring(env, problems),
        nurse_ring_seconds=_int(env, "NURSE_RING_SECONDS", 20, 10, 60, problems),
        queue_limit_minutes=_int(env, "QUEUE_LIMIT_MINUTES", 10, 1, 60, problems),
        languages=languages,
        languages_unreviewed=_languages(env, "LANGUAGES_UNREVIEWED", problems),
        language_by_number=_language_by_number(env, languages, problems),
        service_names=_service_names(env),
        texts_from=texts_from(env, problems),
    )
    if problems:
        raise ConfigError(problems)
    return settings
