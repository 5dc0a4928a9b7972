"""The nurse rota, nurse legs and the queue in the store, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest

from ivr.store import Store
from tests.test_store import SECRET, Clock, database_url, postgres_database  # noqa: F401

NURSE_A = "+442079460101"
NURSE_B = "+442079460102"


@pytest.fixture
def clock() -> Clock:
    """The store's idea of now, moved by the test."""
    return Clock()


@pytest.fixture
def store(database_url: str, clock: Clock) -> Iterator[Store]:  # noqa: F811 (fixture)
    """A migrated store on each database, closed at the end."""
    found = Store(database_url, SECRET, clock=clock)
    found.upgrade()
    yield found
    found.close()


def test_the_rota_keeps_ring_order_and_days_off(store: Store) -> None:
    """Nurses are listed in the order they were added; off today lasts until tomorrow."""
    first = store.add_nurse("Ann", NURSE_A, "Mon-Fri 08:00-20:00")
    second = store.add_nurse("Bea", NURSE_B, "always")
    assert [(n.name, n.position) for n in store.list_nurses()] == [("Ann", 1), ("Bea", 2)]
    today = dt.date(2026, 11, 27)
    assert store.set_off_today(first, True, today)
    ann = store.list_nurses()[0]
    assert ann.off_on(today) and not ann.off_on(today + dt.timedelta(days=1))
    assert store.update_nurse(second, "Bea", NURSE_B, "always", position=0)
    assert [n.name for n in store.list_nurses()] == ["Bea", "Ann"]
    assert store.remove_nurse(first) and not store.remove_nurse(first)
    assert [n.key for n in store.list_nurses()] == [f"n:{second}"]


def test_a_nurse_needs_a_number_in_e164_form(store: Store) -> None:
    """A number without + and the country code is refused with a message saying so."""
    with pytest.raises(ValueError, match=r"E\.164"):
        store.add_nurse("Ann", "020 7946 0101", "always")
    assert store.list_nurses() == []


def test_two_calls_racing_for_one_nurse_cannot_both_ring_them(store: Store) -> None:
    """Eight calls claim the same nurse at once: exactly one gets them; once that call's leg
    ends, the nurse can be claimed again."""
    won: list[str] = []
    start = threading.Barrier(8)

    def claim(sid: str) -> None:
        start.wait()
        won.extend(sid for _ in store.claim_nurses(sid, ["n:1"]))

    threads = [threading.Thread(target=claim, args=(f"CA{i:032x}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    assert store.busy_nurses() == {"n:1"}
    assert store.claim_nurses("CA" + "f" * 32, ["n:1", "n:2"]) == ["n:2"]
    assert store.end_legs(won[0], "completed") == 1
    assert store.busy_nurses() == {"n:2"}
    assert store.claim_nurses("CA" + "e" * 32, ["n:1"]) == ["n:1"]


def test_a_leg_whose_end_was_lost_frees_its_nurse_after_hours(store: Store, clock: Clock) -> None:
    """A status callback that never came does not keep a nurse busy for ever."""
    assert store.claim_nurses("CA" + "1" * 32, ["line"]) == ["line"]
    clock.advance(hours=3)
    assert store.busy_nurses() == {"line"}
    clock.advance(hours=2)
    assert store.busy_nurses() == frozenset()
    assert store.claim_nurses("CA" + "2" * 32, ["line"]) == ["line"]


def test_the_queue_is_worked_oldest_first_and_a_returning_caller_keeps_their_place(
    store: Store, clock: Clock
) -> None:
    """Positions count the callers who joined earlier and are still waiting; a caller who
    left for a call back and came back is first again; figures count how callers left."""
    sids = [f"CA{i:032x}" for i in range(3)]
    for sid in sids:
        store.join_queue(sid, "n=nurse", "Nurse line", ["cost"], practice=False)
        clock.advance(minutes=1)
    assert [store.queue_position(s) for s in sids] == [1, 2, 3]
    assert store.leave_for(sids[0], "callback") and not store.leave_for(sids[0], "guidance")
    assert store.queue_position(sids[1]) == 1  # the first is on their way out
    store.left_queue(sids[0], "callback")
    assert store.queue_position(sids[0]) is None
    store.join_queue(sids[0], "n=nurse", "Nurse line", [], practice=False)  # not booked
    assert [store.queue_position(s) for s in sids] == [1, 2, 3]
    clock.advance(minutes=4)
    store.left_queue(sids[0], "answered")
    store.left_queue(sids[1], "hung_up")
    figures = store.queue_figures(clock() - dt.timedelta(hours=1))
    assert figures.answered_waits == [7 * 60.0]
    assert figures.left == {"answered": 1, "hung_up": 1}
    assert figures.waiting == 1
    entry = store.queued_call(sids[0])
    assert entry is not None and entry.left_how == "answered" and entry.reasons == []
