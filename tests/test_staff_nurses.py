"""The staff site's Nurses page: the rota listed with numbers cut to their last digits, nurses
added, edited, removed, turned off for today and moved in the ring order, forms checked."""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr import create_app
from ivr.store import Store
from tests.conftest import ENV
from tests.test_staff_site import BASE, PASSWORD, SAME_SITE, csrf_of, sign_in
from tests.test_store import SECRET, Clock

ANN = "+447700900123"
BEN = "+447700900456"
CAT = "+447700900789"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: object, clock: Clock) -> Iterator[Store]:
    """A migrated SQLite store whose clock the test moves."""
    found = Store(f"sqlite:///{tmp_path}/nurses.sqlite3", SECRET, clock=clock)
    found.upgrade()
    yield found
    found.close()


@pytest.fixture
def site(store: Store) -> Flask:
    """The helpline on that store, with one member of staff."""
    store.add_staff("sam", PASSWORD)
    return create_app(ENV, store=store)


@pytest.fixture
def client(site: Flask) -> FlaskClient:
    """A signed-in member of staff."""
    client = site.test_client()
    assert sign_in(client) == 302
    return client


def page(client: FlaskClient, path: str = "/staff/nurses/") -> str:
    response = client.get(path, base_url=BASE)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(client: FlaskClient, path: str, **form: str) -> tuple[int, str]:
    """Post a form with the page's CSRF token, as the browser would."""
    token = csrf_of(page(client))
    response = client.post(
        path, base_url=BASE, headers=SAME_SITE, data={"csrf_token": token, **form}
    )
    return response.status_code, response.get_data(as_text=True)


def rota(store: Store) -> list[tuple[str, str, str]]:
    return [(n.name, n.number, n.hours) for n in store.list_nurses()]


def test_the_rota_shows_only_the_last_digits_of_each_number(
    client: FlaskClient, store: Store
) -> None:
    """Each nurse in ring order, with name, hours, on or off today, and the number's last 3
    digits: never the number in full, anywhere in the page."""
    store.add_nurse("Ann", ANN, "Mon-Fri 08:00-20:00")
    ben = store.add_nurse("Ben", BEN, "always")
    assert store.set_off_today(ben, True, dt.date(2026, 11, 27))
    shown = page(client)
    rows = re.findall(
        r"<tr>\s*<td>(\d)</td>\s*<td>(\w+)</td>\s*<td>([^<]+)</td>"
        r"\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>",
        shown,
    )
    assert rows == [
        ("1", "Ann", "ending 123", "Mon-Fri 08:00-20:00", "On"),
        ("2", "Ben", "ending 456", "always", "Off today"),
    ]
    for number in (ANN, BEN):
        assert number not in shown and number[1:] not in shown and number[-6:] not in shown


def test_a_nurse_is_added_at_the_end(client: FlaskClient, store: Store) -> None:
    """A good form adds the nurse after the others; spaces typed in the number are dropped."""
    store.add_nurse("Ann", ANN, "always")
    status, _ = post(
        client, "/staff/nurses/", name=" Ben ", number="+44 7700 900456", hours="Sat 10:00-13:00"
    )
    assert status == 302
    assert rota(store) == [("Ann", ANN, "always"), ("Ben", BEN, "Sat 10:00-13:00")]


@pytest.mark.parametrize(
    ("form", "field", "said"),
    [
        ({"name": "Ben", "number": "07700900456", "hours": "always"}, "number", "E.164 form"),
        ({"name": "Ben", "number": "+44", "hours": "always"}, "number", "E.164 form"),
        ({"name": "Ben", "number": "", "hours": "always"}, "number", "E.164 form"),
        ({"name": "", "number": BEN, "hours": "always"}, "name", "Give the nurse's name"),
        ({"name": "Ben", "number": BEN, "hours": "weekdays"}, "hours", "Hours: cannot read"),
        ({"name": "Ben", "number": BEN, "hours": "Mon-Fri 20:00-08:00"}, "hours", "ends before"),
    ],
    ids=["national", "short", "empty", "no-name", "unreadable-hours", "overnight"],
)
def test_a_wrong_field_is_a_clear_form_error(
    client: FlaskClient, store: Store, form: dict[str, str], field: str, said: str
) -> None:
    """400, the error beside its field (tied to it for screen readers), nothing added, and the
    number typed never shown back."""
    status, shown = post(client, "/staff/nurses/", **form)
    assert status == 400
    error = re.search(rf'<p id="{field}-error" class="error">([^<]+)</p>', shown)
    assert error is not None and said in html.unescape(error.group(1)), shown
    assert f'aria-describedby="{field}-hint {field}-error"' in shown
    assert store.list_nurses() == []
    assert '<input id="number" name="number" value=""' in shown
    if len(form["number"]) > 5:
        assert form["number"] not in shown


def test_editing_keeps_the_number_unless_a_new_one_is_given(
    client: FlaskClient, store: Store
) -> None:
    """The edit form shows only the number's last digits; left empty, the number stays."""
    ann = store.add_nurse("Ann", ANN, "always")
    form = page(client, f"/staff/nurses/{ann}/edit")
    assert "ending 123" in form and ANN not in form
    assert (
        post(client, f"/staff/nurses/{ann}/edit", name="Ann B", number="", hours="never")[0] == 302
    )
    assert rota(store) == [("Ann B", ANN, "never")]
    assert (
        post(client, f"/staff/nurses/{ann}/edit", name="Ann B", number=CAT, hours="never")[0] == 302
    )
    assert rota(store) == [("Ann B", CAT, "never")]
    status, shown = post(client, f"/staff/nurses/{ann}/edit", name="Ann", number="123", hours="x")
    assert status == 400 and "E.164 form" in shown and "Hours: cannot read" in shown
    assert rota(store) == [("Ann B", CAT, "never")]


def test_turning_a_nurse_off_lasts_until_tomorrow_in_the_uk(
    client: FlaskClient, store: Store, clock: Clock
) -> None:
    """Off today sets the nurse off until the next UK day; on again clears it."""
    clock.now = dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC)  # 00:30 on 2 July in London
    ann = store.add_nurse("Ann", ANN, "always")
    assert post(client, f"/staff/nurses/{ann}/today", off="1")[0] == 302
    [nurse] = store.list_nurses()
    assert nurse.off_until == dt.date(2026, 7, 3)
    assert "Off today" in page(client)
    assert post(client, f"/staff/nurses/{ann}/today", off="0")[0] == 302
    assert store.list_nurses()[0].off_until is None


def test_the_ring_order_changes_one_place_at_a_time(client: FlaskClient, store: Store) -> None:
    """Up and down swap a nurse with their neighbour; the ends stay where they are."""
    ann, _, cat = (
        store.add_nurse(n, x, "always") for n, x in (("Ann", ANN), ("Ben", BEN), ("Cat", CAT))
    )
    names = lambda: [n.name for n in store.list_nurses()]  # noqa: E731
    assert post(client, f"/staff/nurses/{cat}/move", direction="up")[0] == 302
    assert names() == ["Ann", "Cat", "Ben"]
    assert post(client, f"/staff/nurses/{ann}/move", direction="down")[0] == 302
    assert names() == ["Cat", "Ann", "Ben"]
    assert post(client, f"/staff/nurses/{cat}/move", direction="up")[0] == 302
    assert names() == ["Cat", "Ann", "Ben"]
    assert [n.position for n in store.list_nurses()] == [1, 2, 3]


def test_a_removed_nurse_leaves_the_rota(client: FlaskClient, store: Store) -> None:
    """Removed: gone from the store and the page; removing again is a 404."""
    ann = store.add_nurse("Ann", ANN, "always")
    assert post(client, f"/staff/nurses/{ann}/remove")[0] == 302
    assert store.list_nurses() == []
    assert "Nobody is on the rota" in page(client)
    assert post(client, f"/staff/nurses/{ann}/remove")[0] == 404


@pytest.mark.parametrize("action", ["edit", "remove", "today", "move"])
def test_an_unknown_nurse_is_a_404(client: FlaskClient, action: str) -> None:
    """No nurse of that id: not found, whatever the action."""
    assert (
        post(client, f"/staff/nurses/4242/{action}", name="A", number=ANN, hours="always")[0] == 404
    )


def test_every_form_needs_its_csrf_token(client: FlaskClient, store: Store) -> None:
    """A post without the token is refused, and nothing changes."""
    ann = store.add_nurse("Ann", ANN, "always")
    for path in ("/staff/nurses/", f"/staff/nurses/{ann}/remove", f"/staff/nurses/{ann}/today"):
        response = client.post(
            path, base_url=BASE, headers=SAME_SITE, data={"name": "B", "number": BEN, "off": "1"}
        )
        assert response.status_code == 400
    assert rota(store) == [("Ann", ANN, "always")]
    assert store.list_nurses()[0].off_until is None


def test_the_pages_need_a_signed_in_member_of_staff(site: Flask, store: Store) -> None:
    """Without a session: sent to sign in, nothing listed, nothing changed."""
    store.add_nurse("Ann", ANN, "always")
    client = site.test_client()
    response = client.get("/staff/nurses/", base_url=BASE)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/sign-in?next=/staff/nurses/")


def test_no_log_line_holds_a_nurse_s_number(
    client: FlaskClient, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """Adding, editing (a refused form too), turning off and removing log no number."""
    with caplog.at_level(logging.DEBUG, logger="ivr"):
        post(client, "/staff/nurses/", name="Ann", number=ANN, hours="always")
        [ann] = store.list_nurses()
        post(client, f"/staff/nurses/{ann.id}/edit", name="Ann", number=BEN, hours="always")
        post(client, f"/staff/nurses/{ann.id}/edit", name="Ann", number="+44", hours="always")
        post(client, f"/staff/nurses/{ann.id}/today", off="1")
        post(client, f"/staff/nurses/{ann.id}/remove")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"nurse {ann.id} added" in logged  # the actions are logged, by id
    for digits in (ANN[1:], BEN[1:], ANN[-9:], BEN[-9:]):
        assert digits not in logged


def test_the_navigation_leads_to_the_nurses_and_voicemails(client: FlaskClient) -> None:
    """Every staff page links to the two new pages."""
    shown = page(client, "/staff/")
    assert 'href="/staff/nurses/">Nurses</a>' in shown
    assert 'href="/staff/voicemails/">Voicemails</a>' in shown
