"""The staff API under /staff/api/: a token is needed; open requests listed; one marked done."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr import create_app
from ivr.store import Store
from ivr.webhooks.helpline import helpline
from tests import test_store as shared
from tests.conftest import ENV
from tests.test_store import CALLER, CLOSED_PORT_URL, OTHER, SECRET, Clock

# The store's fixtures, on SQLite and PostgreSQL, shared by name.
postgres_database = shared.postgres_database
database_url = shared.database_url
clock = shared.clock
store = shared.store


def staff_app(store: Store) -> Flask:
    """The helpline, with the staff API (and the webhooks' catch-all error handler beside it)
    on the given store."""
    return create_app(ENV, store=store)


@pytest.fixture
def api(store: Store) -> FlaskClient:
    return staff_app(store).test_client()


@pytest.fixture
def token(store: Store) -> str:
    store.add_staff("alice", "a long enough password")
    return store.create_token("alice", require_account=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_init_app_keeps_the_store_for_the_views(store: Store) -> None:
    """init_app keeps the store it is given where the API's views find it."""
    app = staff_app(store)
    assert helpline(app).store is store


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer ivr_not-a-token"},
        {"Authorization": "Bearer not-even-the-form"},
        {"Authorization": "Basic YWxpY2U6c2VjcmV0"},
    ],
    ids=["none", "empty", "wrong", "malformed", "basic"],
)
def test_without_a_good_token_it_is_a_401(
    api: FlaskClient, store: Store, headers: dict[str, str]
) -> None:
    """401, a JSON error, and WWW-Authenticate naming the Bearer scheme; nothing listed."""
    store.book_callback("CA01", CALLER, "info", [])
    for method, path in (("GET", "/staff/api/callbacks"), ("POST", "/staff/api/callbacks/1/done")):
        response = api.open(path, method=method, headers=headers)
        assert response.status_code == 401
        assert response.is_json
        assert "token" in response.get_json()["error"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert CALLER not in response.get_data(as_text=True)
    assert len(store.open_callbacks()) == 1  # the POST without a token changed nothing


def test_the_list_is_json_oldest_first(
    api: FlaskClient, store: Store, clock: Clock, token: str
) -> None:
    """Open requests are listed as JSON, oldest first, never cached, each with all its fields."""
    first = store.book_callback(
        "CA01", CALLER, "info.second_opinion", ["nurse line closed"], language="cy-GB"
    )
    clock.advance(minutes=3)
    store.book_callback("CA02", OTHER, "help", [])
    response = api.get("/staff/api/callbacks", headers=bearer(token))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    listed = response.get_json()
    assert [c["number"] for c in listed] == [CALLER, OTHER]
    assert listed[0] == {
        "id": first.id,
        "number": CALLER,
        "created_at": "2026-11-27T12:00:00+00:00",
        "listening_to": "info.second_opinion",
        "reasons": ["nurse line closed"],
        "call_sid": "CA01",
        "practice": False,
        "language": "cy-GB",
    }


def test_practice_requests_are_marked_in_the_list(
    api: FlaskClient, store: Store, token: str
) -> None:
    """A request booked from the practice phones says so, beside a real one for the same number."""
    store.book_callback("CA01", CALLER, "info", [])
    store.book_callback("CA02", CALLER, "info", [], practice=True)
    listed = api.get("/staff/api/callbacks", headers=bearer(token)).get_json()
    assert [(c["call_sid"], c["number"], c["practice"]) for c in listed] == [
        ("CA01", CALLER, False),
        ("CA02", CALLER, True),
    ]


def test_marking_done_removes_it_from_the_list(api: FlaskClient, store: Store, token: str) -> None:
    """A request marked done leaves the list and the store; marking it again is a 404."""
    booking = store.book_callback("CA01", CALLER, "info", [])
    response = api.post(f"/staff/api/callbacks/{booking.id}/done", headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json() == {"id": booking.id, "done": True}
    assert api.get("/staff/api/callbacks", headers=bearer(token)).get_json() == []
    assert store.open_callbacks() == []
    again = api.post(f"/staff/api/callbacks/{booking.id}/done", headers=bearer(token))
    assert again.status_code == 404


def test_an_unknown_request_is_a_404(api: FlaskClient, token: str) -> None:
    """Marking done a request that does not exist is a 404 that names it."""
    response = api.post("/staff/api/callbacks/4242/done", headers=bearer(token))
    assert response.status_code == 404
    assert response.get_json() == {"error": "no open callback request 4242"}


@pytest.fixture
def down() -> Iterator[Store]:
    found = Store(CLOSED_PORT_URL, SECRET)
    yield found
    found.close()


def test_a_database_that_is_down_is_a_503(down: Store) -> None:
    """Not a 500, nor a 401 that would send staff to look for a new token."""
    response = staff_app(down).test_client().get("/staff/api/callbacks", headers=bearer("ivr_x"))
    assert response.status_code == 503
    assert response.is_json
    assert response.headers["Retry-After"] == "60"


@pytest.mark.parametrize("callback_id", [2**31, 10**20])
def test_an_id_too_big_for_the_column_is_a_404(
    api: FlaskClient, token: str, callback_id: int
) -> None:
    """No request has that id: a 404, as for any other, not a database error."""
    response = api.post(f"/staff/api/callbacks/{callback_id}/done", headers=bearer(token))
    assert (response.status_code, response.get_json()) == (404, {"error": "not found"})


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [
        ("GET", "/staff/api/callbacks/1/done", 405, "method not allowed: use OPTIONS, POST"),
        ("DELETE", "/staff/api/callbacks", 405, "method not allowed: use GET, HEAD, OPTIONS"),
        ("GET", "/staff/api/nothing-here", 404, "not found"),
    ],
)
def test_errors_found_before_any_view_are_json(
    api: FlaskClient, token: str, method: str, path: str, status: int, error: str
) -> None:
    """No such path, or a method the path does not take: JSON, like every other answer."""
    response = api.open(path, method=method, headers=bearer(token))
    assert (response.status_code, response.get_json()) == (status, {"error": error})


def test_an_error_in_a_view_is_json(
    api: FlaskClient, store: Store, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a bug is told as JSON (500), not as an HTML page."""

    def broken() -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(store, "open_callbacks", broken)
    response = api.get("/staff/api/callbacks", headers=bearer(token))
    assert (response.status_code, response.get_json()) == (500, {"error": "internal server error"})
