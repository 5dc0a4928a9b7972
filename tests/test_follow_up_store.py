"""Texts and whether calls helped, in the store, on SQLite and PostgreSQL: each kind of text once
a call, a few a day to a number kept only as a keyed hash with the day, the number checked
against the call's; answers kept by part, never with a call; both purged with the journal."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect

from ivr.store import Store
from ivr.store.texts import TEXTS_PER_NUMBER_A_DAY
from tests import test_store as shared
from tests.test_store import Clock, rows

postgres_database = shared.postgres_database
database_url = shared.database_url
clock = shared.clock
store = shared.store

CALL = "CA" + "1" * 32
OTHER_CALL = "CA" + "2" * 32
MOBILE = "+447400123456"
OTHER = "+447400123457"


def call(n: int) -> str:
    return f"CA{n:032x}"


# --- texts ----------------------------------------------------------------------------------


def test_each_kind_of_text_is_sent_once_a_call(store: Store) -> None:
    """The database refuses a second text of a kind on a call; another kind goes."""
    first = store.reserve_text(CALL, MOBILE, "england")
    assert first is not None
    assert store.reserve_text(CALL, MOBILE, "england") is None
    assert store.reserve_text(CALL, MOBILE, "questions") is not None
    store.text_sent(first, "SM" + "a" * 32, "queued")
    assert store.text_status("SM" + "a" * 32, "delivered")
    assert not store.text_status("SM" + "b" * 32, "delivered")
    assert [(t.kind, t.status) for t in store.texts_of(CALL)] == [
        ("england", "delivered"),
        ("questions", "not-sent"),
    ]


def test_a_number_has_a_few_texts_a_day_kept_only_as_a_hash(store: Store, clock: Clock) -> None:
    """The day's limit holds across calls; the next day it starts again; no row holds the
    number, and the hashes of two days differ (their rows cannot be joined)."""
    for n in range(TEXTS_PER_NUMBER_A_DAY):
        assert store.reserve_text(call(n), MOBILE, "england") is not None
    assert store.reserve_text(call(99), MOBILE, "england") is None
    assert store.reserve_text(call(99), OTHER, "england") is not None
    [first_day] = [r for r in rows(store, "text_allowances") if r["sent"] == 6]
    clock.advance(days=1)
    assert store.reserve_text(call(100), MOBILE, "england") is not None
    allowances = rows(store, "text_allowances")
    assert all(MOBILE not in str(r) and MOBILE.lstrip("+") not in str(r) for r in allowances)
    assert first_day["number_hash"] not in [r["number_hash"] for r in allowances if r["sent"] == 1]
    assert {c["name"] for c in inspect(store.engine).get_columns("texts")} == {
        "id",
        "call_sid",
        "kind",
        "created_at",
        "message_sid",
        "status",
    }


def test_a_text_goes_only_to_the_number_the_call_came_from(store: Store) -> None:
    """A number that is not the call's own (as its keyed hash was kept) is refused."""
    store.call_started(CALL, MOBILE)
    assert store.flush()
    assert store.reserve_text(CALL, OTHER, "england") is None
    assert store.reserve_text(CALL, MOBILE, "england") is not None


def test_texts_and_counts_are_purged(store: Store, clock: Clock) -> None:
    """Texts go after the retention period; a day's counts after a day."""
    store.reserve_text(CALL, MOBILE, "england")
    clock.advance(days=3)
    store.reserve_text(OTHER_CALL, MOBILE, "england")
    assert store.purge_texts(clock(), retention_days=2) == 1
    assert [t.kind for t in store.texts_of(OTHER_CALL)] == ["england"]
    assert len(rows(store, "text_allowances")) == 1


# --- whether calls helped ---------------------------------------------------------------------


def test_answers_are_counted_by_part_and_practice_left_out(store: Store, clock: Clock) -> None:
    """Asked, answered and yes per part; practice answers are kept apart and never counted."""
    store.feedback_asked("england", False)
    store.feedback_given("england", True, False)
    store.feedback_asked("england", False)
    store.feedback_given("england", False, False)
    store.feedback_asked("england", False)  # skipped: silence
    store.feedback_asked("walk_summary", False)
    store.feedback_given("walk_summary", True, False)
    store.feedback_asked("wales", True)
    store.feedback_given("wales", True, True)
    assert store.flush()
    since = clock() - dt.timedelta(days=14)
    figures = [(h.part, h.asked, h.answered, h.said_yes) for h in store.feedback_figures(since)]
    assert figures == [("england", 3, 2, 1), ("walk_summary", 1, 1, 1)]
    # Kept with the part, never with a call or a number.
    assert {c["name"] for c in inspect(store.engine).get_columns("feedback")} == {
        "id",
        "at",
        "part",
        "helped",
        "practice",
    }


def test_answers_are_purged_after_the_retention_period(store: Store, clock: Clock) -> None:
    """Old answers go; new ones stay."""
    store.feedback_asked("england", False)
    assert store.flush()
    clock.advance(days=10)
    store.feedback_asked("wales", False)
    assert store.flush()
    assert store.purge_feedback(clock(), retention_days=5) == 1
    assert [r["part"] for r in rows(store, "feedback")] == ["wales"]
