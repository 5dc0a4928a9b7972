"""GET /health: up when the database answers, 503 when it does not, and the journal's counts."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from tests.conftest import signed_post


def test_health_says_the_database_answers_and_counts_the_journal(
    make_app: Callable[..., Flask],
) -> None:
    """With the database up: 200, and how many journal events were written, dropped, failed."""
    app = make_app()
    signed_post(app.test_client(), "/voice/incoming", {"CallSid": "CA" + "1" * 32})
    assert app.extensions["ivr"].store.flush(5)
    response = app.test_client().get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "answering"
    assert body["journal"]["written"] >= 2 and body["journal"]["failed"] == 0
    assert response.headers["Cache-Control"] == "no-store"


def test_health_is_503_when_the_database_does_not_answer(make_app: Callable[..., Flask]) -> None:
    """With the database down: 503 at once, saying so, and the events it could not write."""
    app = make_app(DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    signed_post(app.test_client(), "/voice/incoming", {"CallSid": "CA" + "2" * 32})
    app.extensions["ivr"].store.flush(10)
    response = app.test_client().get("/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "not answering"
    assert body["journal"]["failed"] >= 1
