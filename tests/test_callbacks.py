"""Asking for a call back, end to end: the caller's phone, the webhooks and a real database."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy.engine import make_url

from ivr.cli import main
from ivr.content.load import Content
from ivr.numbers import PRACTICE_CALLER
from ivr.practice.phone import Phone, Transcript
from ivr.store import Store
from tests.conftest import CALLER, ENV, TOKEN, missing
from tests.test_store import database_url, postgres_database  # noqa: F401 (fixtures)

KEYED = "+442079460958"  # 020 7946 0958, keyed by the caller
OTHER = "+441614960585"  # 0161 496 0585


@pytest.fixture
def app(make_app: Callable[..., Flask], database_url: str) -> Iterator[Flask]:  # noqa: F811
    """The helpline with the nurse line closed, on an empty database of each kind."""
    built = make_app(NURSE_LINE_HOURS="never", DATABASE_URL=database_url)
    built.extensions["ivr"].store.upgrade()
    yield built
    built.extensions["ivr"].store.close()


def store_of(app: Flask) -> Store:
    found: Store = app.extensions["ivr"].store
    return found


def call(app: Flask, script: list[str], caller: str = CALLER) -> Transcript:
    transcript = Phone(app, auth_token=TOKEN, caller=caller).call(script)
    assert transcript.errors() == []
    return transcript


def said(app: Flask, *prompt_ids: str) -> list[str]:
    prompts = app.extensions["ivr"].content.prompts
    return [prompts[p].spoken for p in prompt_ids]


def digits(number: str) -> list[str]:
    """How the helpline reads a UK number back: one spoken digit at a time."""
    names = {
        "0": "oh",
        "1": "one",
        "2": "two",
        "3": "three",
        "4": "four",
        "5": "five",
        "6": "six",
        "7": "seven",
        "8": "eight",
        "9": "nine",
    }
    return [names[d] for d in "0" + number.removeprefix("+44")]


def test_booked_on_the_callers_own_number(app: Flask, content: Content) -> None:
    """The caller hears their number digit by digit, presses 1, and the request is stored."""
    transcript = call(app, ["2", "1", "1", "0", "1", "1"])
    heard = transcript.heard()
    start = heard.index(said(app, "callback.own")[0])
    assert heard[start + 1 : start + 12] == digits(CALLER)
    assert said(app, "callback.booked")[0] in heard
    [request] = store_of(app).open_callbacks()
    assert request.number == CALLER
    assert request.listening_to == content.flow.nodes["q_not_understood"].title
    assert request.reasons == ["being unsure about the diagnosis"]


def test_booked_on_a_keyed_number_after_a_correction(app: Flask) -> None:
    """A keyed number is read back; * corrects it; 1 books the second one."""
    transcript = call(app, ["0", "1", "2", "02079460958#", "*", "01614960585#", "1"])
    heard = transcript.heard()
    assert heard.count(said(app, "callback.check")[0]) == 2
    check = len(heard) - heard[::-1].index(said(app, "callback.check")[0])
    assert heard[check : check + 11] == digits(OTHER)
    assert [r.number for r in store_of(app).open_callbacks()] == [OTHER]


def test_a_number_that_is_not_a_uk_number_is_asked_for_again(app: Flask) -> None:
    """A wrong number is not read back: the caller is told and asked to key it again."""
    transcript = call(app, ["0", "1", "2", "123#", "02079460958#", "1"])
    heard = transcript.heard()
    assert said(app, "callback.invalid")[0] in heard
    assert [r.number for r in store_of(app).open_callbacks()] == [KEYED]


def test_a_withheld_number_is_asked_for(app: Flask) -> None:
    """With the number withheld, the caller is asked to key one in."""
    transcript = call(app, ["0", "1", "02079460958#", "1"], caller="anonymous")
    assert said(app, "callback.withheld", "callback.enter")[0] in transcript.heard()
    assert [r.number for r in store_of(app).open_callbacks()] == [KEYED]


def test_asking_again_does_not_pile_up(app: Flask) -> None:
    """A second request for a number with one open is not stored twice, and the caller hears so."""
    call(app, ["0", "1", "1"])
    again = call(app, ["0", "1", "1"])
    assert said(app, "callback.already")[0] in again.heard()
    assert len(store_of(app).open_callbacks()) == 1


def test_one_call_cannot_book_call_backs_to_many_numbers(app: Flask) -> None:
    """A withheld caller who keys a second number on the same call hears their request is
    already with the nurses, and only the first number is stored."""
    first = ["0", "1", "02079460958#", "1"]
    second = ["0", "1", "01614960585#", "1"]
    transcript = call(app, [*first, *second], caller="anonymous")
    heard = transcript.heard()
    assert heard.count(said(app, "callback.booked")[0]) == 1
    assert said(app, "callback.already")[0] in heard
    assert [r.number for r in store_of(app).open_callbacks()] == [KEYED]


def test_a_call_back_from_the_practice_phone_is_marked_practice(app: Flask) -> None:
    """Booked from the practice phones' number: stored, and marked so that nobody rings it.

    The practice number is not one to call back, so the tester keys one, as with a withheld
    number; the caller hears the same as from any phone.
    """
    transcript = call(app, ["0", "1", "02079460958#", "1"], caller=PRACTICE_CALLER)
    assert said(app, "callback.booked")[0] in transcript.heard()
    [request] = store_of(app).open_callbacks()
    assert (request.number, request.practice) == (KEYED, True)


def test_a_call_back_from_a_real_caller_is_not_practice(app: Flask) -> None:
    """Booked from a real caller's own number: stored with that number, not marked practice."""
    call(app, ["0", "1", "1"])
    [request] = store_of(app).open_callbacks()
    assert (request.number, request.practice) == (CALLER, False)


def test_practice_and_real_call_backs_are_never_duplicates_of_each_other(app: Flask) -> None:
    """The same number, from the practice phone and from a real caller: two requests, each
    booked; asking again from either phone finds its own kind's request open."""
    practice_script = ["0", "1", "02079460958#", "1"]
    real_script = ["0", "1", "2", "02079460958#", "1"]
    assert said(app, "callback.booked")[0] in call(app, practice_script, PRACTICE_CALLER).heard()
    assert said(app, "callback.booked")[0] in call(app, real_script).heard()
    assert said(app, "callback.already")[0] in call(app, practice_script, PRACTICE_CALLER).heard()
    assert said(app, "callback.already")[0] in call(app, real_script).heard()
    requests = store_of(app).open_callbacks()
    assert [(r.number, r.practice) for r in requests] == [(KEYED, True), (KEYED, False)]


def test_numbers_never_travel_in_urls_or_twiml(app: Flask) -> None:
    """Neither the caller's number nor a keyed one is written in a URL or TwiML."""
    transcripts = [call(app, ["0", "1", "1"]), call(app, ["0", "1", "2", "02079460958#", "1"])]
    for transcript in transcripts:
        for request in transcript.requests:
            for number in (CALLER, KEYED):
                for form in (number, number.removeprefix("+"), "0" + number[3:]):
                    assert form not in request.url
                    assert form not in request.body


def test_visible_in_ivr_callbacks_and_the_api(app: Flask, database_url: str) -> None:  # noqa: F811
    """A booked request shows in `ivr callbacks` and in the staff API with a token."""
    call(app, ["0", "1", "1"])
    env = {**ENV, "DATABASE_URL": database_url}
    runner = CliRunner()
    listed = runner.invoke(main, ["callbacks"], env=env)
    assert listed.exit_code == 0, listed.output
    assert CALLER in listed.output
    token = store_of(app).create_token("test")
    client = app.test_client()
    response = client.get("/staff/api/callbacks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert [item["number"] for item in response.get_json()] == [CALLER]
    assert client.get("/staff/api/callbacks").status_code == 401


def test_when_the_database_cannot_store_it_the_caller_is_told(
    make_app: Callable[..., Flask],
) -> None:
    """No database: the caller hears the request was not booked, with the hours and choices."""
    app = make_app(NURSE_LINE_HOURS="never", DATABASE_URL="postgresql://x@127.0.0.1:1/x")
    transcript = call(app, ["0", "1", "1", "."])
    heard = transcript.heard()
    assert said(app, "callback.failed")[0] in heard
    assert said(app, "callback.booked")[0] not in heard
    assert transcript.ended_by == "caller-hung-up"


def _cluster(url: str) -> tuple[str, str]:
    """The PostgreSQL version and cluster name serving a URL's port (pg_lsclusters)."""
    port = str(make_url(url).port or 5432)
    for line in subprocess.run(
        ["pg_lsclusters", "-h"], capture_output=True, text=True, check=True
    ).stdout.splitlines():
        version, name, cluster_port = line.split()[:3]
        if cluster_port == port:
            return version, name
    raise AssertionError(f"no local PostgreSQL cluster on port {port}")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_stopped_mid_call(app: Flask, database_url: str) -> None:  # noqa: F811
    """With PostgreSQL stopped during a call, the call goes on and the caller is told the
    request was not booked; once it is back, the next request is stored."""
    if shutil.which("pg_ctlcluster") is None or os.geteuid() != 0:
        missing("stopping PostgreSQL needs pg_ctlcluster and root")
    version, name = _cluster(database_url)
    first = Phone(app, auth_token=TOKEN, caller=CALLER)
    subprocess.run(["pg_ctlcluster", version, name, "stop", "-m", "fast"], check=True)
    try:
        began = time.monotonic()
        transcript = first.call(["2", "1", "0", "1", "1", "."])
        assert transcript.errors() == []
        assert said(app, "callback.failed")[0] in transcript.heard()
        assert time.monotonic() - began < 30
    finally:
        subprocess.run(["pg_ctlcluster", version, name, "start"], check=True)
    for _ in range(30):
        try:
            store_of(app).open_callbacks()
            break
        except Exception:
            time.sleep(0.5)
    again = call(app, ["0", "1", "1"])
    assert said(app, "callback.booked")[0] in again.heard()
    assert [r.number for r in store_of(app).open_callbacks()] == [CALLER]
