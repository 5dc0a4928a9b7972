"""The staff site's nurse rota: who is rung, in which order, in which hours, and who is off
today. A nurse's number is shown only by its last digits, and never logged."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from ivr.content.hours import UK, HoursError, parse_hours
from ivr.numbers import E164
from ivr.staff.api import MAX_ID
from ivr.store.tables import HOURS, NAME
from ivr.store.team import NurseRecord
from ivr.webhooks.helpline import helpline

log = logging.getLogger("ivr.staff")
bp = Blueprint("nurses", __name__, url_prefix="/nurses")
SHOWN_DIGITS = 3  # how much of a nurse's number staff see
NUMBER_ERROR = (
    "Give the number in E.164 form: + then the country code and the number, without the "
    "first 0, such as +447700900000."
)
NAME_ERROR = f"Give the nurse's name (at most {NAME} characters)."
# Spaces, dots, dashes and brackets people type between digits; nothing else is dropped.
_SEPARATORS = re.compile(r"[\s.()-]")


@dataclass
class NurseForm:
    """What was typed in the add or edit form, and what is wrong with it, by field."""

    name: str = ""
    hours: str = ""
    number: str = ""  # never shown again: a refused form asks for it afresh
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, number_needed: bool) -> NurseForm:
        """The form as posted, checked; an edit may leave the number empty to keep it."""
        form = cls(
            name=request.form.get("name", "").strip(),
            hours=" ".join(request.form.get("hours", "").split()),
            number=_SEPARATORS.sub("", request.form.get("number", "")),
        )
        if not form.name or len(form.name) > NAME:
            form.errors["name"] = NAME_ERROR
        if (form.number or number_needed) and not E164.match(form.number):
            form.errors["number"] = NUMBER_ERROR
        try:
            if len(form.hours) > HOURS:
                raise HoursError(f"Hours: at most {HOURS} characters")
            parse_hours(form.hours, "Hours")
        except HoursError as error:
            form.errors["hours"] = str(error)
        return form


def today() -> dt.date:
    """Today in the UK, by the store's clock: "off today" lasts until midnight there."""
    return helpline().store.clock().astimezone(UK).date()


def last_digits(number: str) -> str:
    """How staff see a nurse's number: its last digits only."""
    return "ending " + number[-SHOWN_DIGITS:]


def _found(nurse_id: int) -> NurseRecord:
    for nurse in helpline().store.list_nurses():
        if nurse.id == nurse_id:
            return nurse
    abort(404)


def _rota(form: NurseForm | None = None, status: int = 200) -> ResponseReturnValue:
    nurses = helpline().store.list_nurses()
    page = render_template(
        "staff/nurses.html", nurses=nurses, today=today(), form=form or NurseForm()
    )
    return page, status


def _back() -> ResponseReturnValue:
    return redirect(url_for("staff.nurses.rota"))


@bp.get("/")
def rota() -> ResponseReturnValue:
    """The rota in ring order, and the form to add a nurse."""
    return _rota()


@bp.post("/")
def add() -> ResponseReturnValue:
    """Add a nurse at the end of the ring order."""
    form = NurseForm.read(number_needed=True)
    if form.errors:
        return _rota(form, 400)
    made = helpline().store.add_nurse(form.name, form.number, form.hours)
    log.info("staff: nurse %s added by %s", made, session.get("staff"))
    return _back()


@bp.route(f"/<int(max={MAX_ID}):nurse_id>/edit", methods=["GET", "POST"])
def edit(nurse_id: int) -> ResponseReturnValue:
    """Change a nurse's name, hours or number (left empty, the number stays)."""
    nurse = _found(nurse_id)
    if request.method == "GET":
        form = NurseForm(name=nurse.name, hours=nurse.hours)
        return render_template("staff/nurse_edit.html", nurse=nurse, form=form)
    form = NurseForm.read(number_needed=False)
    if form.errors:
        return render_template("staff/nurse_edit.html", nurse=nurse, form=form), 400
    store = helpline().store
    if not store.update_nurse(nurse_id, form.name, form.number or nurse.number, form.hours):
        abort(404)
    log.info("staff: nurse %s changed by %s", nurse_id, session.get("staff"))
    return _back()


@bp.post(f"/<int(max={MAX_ID}):nurse_id>/remove")
def remove(nurse_id: int) -> ResponseReturnValue:
    """Take a nurse off the rota."""
    if not helpline().store.remove_nurse(nurse_id):
        abort(404)
    log.info("staff: nurse %s removed by %s", nurse_id, session.get("staff"))
    return _back()


@bp.post(f"/<int(max={MAX_ID}):nurse_id>/today")
def off_today(nurse_id: int) -> ResponseReturnValue:
    """Turn a nurse off for the rest of today (off=1), or back on (off=0)."""
    off = request.form.get("off") == "1"
    if not helpline().store.set_off_today(nurse_id, off, today()):
        abort(404)
    said = "off" if off else "on"
    log.info("staff: nurse %s %s today, by %s", nurse_id, said, session.get("staff"))
    return _back()


@bp.post(f"/<int(max={MAX_ID}):nurse_id>/move")
def move(nurse_id: int) -> ResponseReturnValue:
    """Move a nurse one place up or down the ring order."""
    nurses = helpline().store.list_nurses()
    at = next((n for n, nurse in enumerate(nurses) if nurse.id == nurse_id), None)
    if at is None:
        abort(404)
    to = at - 1 if request.form.get("direction") == "up" else at + 1
    if 0 <= to < len(nurses):
        nurses[at], nurses[to] = nurses[to], nurses[at]
    # Positions 1, 2, 3... in the new order, written only where they change.
    store = helpline().store
    for position, nurse in enumerate(nurses, start=1):
        if nurse.position != position:
            store.update_nurse(nurse.id, nurse.name, nurse.number, nurse.hours, position)
    return _back()
