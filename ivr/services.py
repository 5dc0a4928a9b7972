"""Patient advice services by nation, from data/services.yaml: names, numbers, hours, checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import phonenumbers

from ivr.hours import Hours, HoursError, parse_hours, spoken_hours
from ivr.numbers import spoken_digits, uk_number
from ivr.problems import Problem, ProblemList
from ivr.yamlsource import LocatedDict, load_yaml

SERVICES_FILE = Path("data") / "services.yaml"
CHECK_EVERY_DAYS = 365
_FIELDS = {"name", "number", "spoken_number", "hours", "checked", "source"}


@dataclass(frozen=True)
class Service:
    """One service: its number (E.164) and hours where known, and when they were last checked."""

    id: str
    name: str
    number: str | None
    spoken_number: str
    hours: Hours | None
    checked: dt.date | None
    file: str
    line: int

    def written_number(self) -> str:
        """As people write it in the UK: 0800 917 2127."""
        if self.number is None:
            return ""
        parsed = phonenumbers.parse(self.number, "GB")
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


@dataclass(frozen=True)
class Said:
    """A service's words for prompts: {scotland.number}, {scotland.hours}, {scotland.name}."""

    name: str
    number: str
    hours: str


def load_services(root: Path, problems: ProblemList) -> Mapping[str, Service]:
    """Read and check the services file; every problem names its line and a fix."""
    path = root / SERVICES_FILE
    file = str(SERVICES_FILE)
    if not path.exists():
        return MappingProxyType({})  # no services: a flow that transfers to one is reported
    document = load_yaml(path, problems, root)
    if document is None:
        return MappingProxyType({})
    raw = document.get("services") if isinstance(document, LocatedDict) else None
    if not isinstance(raw, LocatedDict):
        problems.add(Problem(file, 1, "has no `services:` mapping", "start with `services:`"))
        return MappingProxyType({})
    found: dict[str, Service] = {}
    for service_id, entry in raw.items():
        service = _service(service_id, entry, raw.line_of(service_id), file, problems)
        if service is not None:
            found[service_id] = service
    return MappingProxyType(found)


def _service(
    service_id: str, entry: object, line: int, file: str, problems: ProblemList
) -> Service | None:
    def bad(message: str, hint: str, at: int = line) -> None:
        problems.add(Problem(file, at, f"service {service_id}: {message}", hint))

    if not isinstance(entry, LocatedDict) or not isinstance(entry.get("name"), str):
        bad("needs at least a `name`", "write name: ..., number: ..., hours: ..., checked: ...")
        return None
    for key in set(entry) - _FIELDS:
        bad(f"`{key}` is not a field", f"use only {', '.join(sorted(_FIELDS))}", entry.line_of(key))
    number = entry.get("number")
    if number is not None and not (
        isinstance(number, str) and number.startswith("+44") and uk_number(number) is not None
    ):
        bad(
            f"number {number!r} is not a UK number in E.164 form",
            "write it as +44 and the number without its first 0, e.g. +448009172127",
            entry.line_of("number"),
        )
        number = None
    hours = None
    if entry.get("hours") is not None:
        try:
            hours = parse_hours(str(entry["hours"]), f"service {service_id} hours")
        except HoursError as error:
            bad(str(error), "or write null when the hours are not known", entry.line_of("hours"))
    checked = None
    if entry.get("checked") is not None:
        try:
            checked = dt.date.fromisoformat(str(entry["checked"]))
        except ValueError:
            bad(
                f"checked {entry['checked']!r} is not a date",
                "write YYYY-MM-DD, or null",
                entry.line_of("checked"),
            )
    spoken = str(entry.get("spoken_number") or "")
    return Service(service_id, entry["name"], number, spoken, hours, checked, file, line)


def prompt_values(
    services: Mapping[str, Service],
    words: Callable[[str], str],
    digit: Callable[[str], str],
) -> tuple[dict[str, Said], dict[str, Said]]:
    """What {scotland.number} and the like stand for: written (captions) and spoken (voice).

    A number without a `spoken_number` is said digit by digit, with the words of digits.yaml.
    """
    written, spoken = {}, {}
    for service in services.values():
        hours = spoken_hours(service.hours, words) if service.hours else ""
        said = service.spoken_number
        if service.number and not said:
            said = " ".join(digit(prompt_id) for prompt_id in spoken_digits(service.number))
        written[service.id] = Said(service.name, service.written_number(), hours)
        spoken[service.id] = Said(service.name, said, hours)
    return written, spoken


def check_services(services: Mapping[str, Service], today: dt.date, problems: ProblemList) -> None:
    """Warn about numbers nobody has checked in the last 12 months."""
    for service in services.values():
        if service.number is None:
            continue
        if service.checked is None:
            problems.add(
                Problem(
                    service.file,
                    service.line,
                    f"the number for {service.id} has never been checked",
                    "call the service, then set `checked:` to today",
                    warning=True,
                )
            )
        elif (today - service.checked).days > CHECK_EVERY_DAYS:
            problems.add(
                Problem(
                    service.file,
                    service.line,
                    f"the number for {service.id} was last checked on {service.checked}",
                    "check it again and update `checked:`",
                    warning=True,
                )
            )
