"""Patient advice services by nation, from data/services.yaml: names, numbers, hours, checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

import phonenumbers

from ivr.content.hours import UK, Hours, HoursError, bank_holidays, parse_hours, spoken_hours
from ivr.content.model import is_nurse_line
from ivr.content.problems import Problem, ProblemList
from ivr.content.yamlsource import LocatedDict, load_yaml
from ivr.numbers import spoken_groups, uk_number

SERVICES_FILE = Path("data") / "services.yaml"
CHECK_EVERY_DAYS = 365
_FIELDS = {"name", "number", "spoken_number", "hours", "holidays", "checked", "source"}


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
    source: str = ""  # the service's own public page, where its number and hours were read

    def checked_recently(self, today: dt.date) -> bool:
        """Someone has checked the number against the service in the last 12 months."""
        return self.checked is not None and (today - self.checked).days <= CHECK_EVERY_DAYS

    def can_ring(self, now: dt.datetime) -> bool:
        """Callers may be put through now: a checked number, known hours, and open."""
        return (
            self.number is not None
            and self.hours is not None
            and self.checked_recently(now.astimezone(UK).date())
            and self.hours.is_open(now)
        )

    def written_number(self) -> str:
        """As people write it in the UK: 0800 917 2127."""
        if self.number is None:
            return ""
        parsed = phonenumbers.parse(self.number, "GB")
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def line_hours(line_id: str, nurse_hours: Hours, services: Mapping[str, Service]) -> Hours | None:
    """When a line is open: the nurse line's hours, or a service's; None when not known."""
    if is_nurse_line(line_id):
        return nurse_hours
    service = services.get(line_id)
    return service.hours if service is not None else None


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
        if hours is not None and not hours.always and not hours.rules:
            bad(
                "hours `never` would have callers told it is open when it is not",
                "write the hours it keeps, or null when they are not known",
                entry.line_of("hours"),
            )
            hours = None
    if hours is not None and entry.get("holidays") is not None:
        try:
            nation = str(entry["holidays"])
            hours = replace(hours, holidays=None if nation == "none" else bank_holidays(nation))
        except HoursError as error:
            bad(
                str(error),
                "write the nation whose bank holidays close it",
                entry.line_of("holidays"),
            )
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
    source = str(entry.get("source") or "")
    return Service(service_id, entry["name"], number, spoken, hours, checked, file, line, source)


def prompt_values(
    services: Mapping[str, Service],
    words: Callable[[str], str],
    digit: Callable[[str], str],
    first_language: bool = True,
) -> tuple[dict[str, Said], dict[str, Said]]:
    """What {scotland.number} and the like stand for: written (captions) and spoken (voice).

    A `spoken_number` is written in the first language; in another, or without one, a number
    is said digit by digit, in groups, with the words of that language's digits.yaml.
    """
    written, spoken = {}, {}
    for service in services.values():
        hours = spoken_hours(service.hours, words) if service.hours else ""
        said = service.spoken_number if first_language else ""
        if service.number and not said:
            groups = spoken_groups(service.number)
            said = ", ".join(" ".join(map(digit, group)) for group in groups)
        written[service.id] = Said(service.name, service.written_number(), hours)
        spoken[service.id] = Said(service.name, said, hours)
    return written, spoken


def check_services(services: Mapping[str, Service], today: dt.date, problems: ProblemList) -> None:
    """Each service cites its own page; warn about numbers nobody has checked in 12 months."""
    for service in services.values():
        if not service.source.startswith("https://"):
            problems.add(
                Problem(
                    service.file,
                    service.line,
                    f"service {service.id} does not cite its own public page",
                    "set `source:` to the https address of the service's page that gives its "
                    "number and hours",
                    rule="service-source",
                )
            )
        if service.checked is None:
            if service.number is not None:
                problems.add(
                    Problem(
                        service.file,
                        service.line,
                        f"the number for {service.id} has never been checked",
                        "call the service or read its page, then set `checked:` to the date",
                        warning=True,
                        rule="service-checked",
                    )
                )
        elif not service.checked_recently(today):
            problems.add(
                Problem(
                    service.file,
                    service.line,
                    f"the number for {service.id} was last checked on {service.checked}; "
                    "callers are not put through to it until it is checked again",
                    "check it again and update `checked:`",
                    warning=True,
                    rule="service-checked",
                )
            )
