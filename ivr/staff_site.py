"""The staff site under /staff/: sign in, then the callback queue (oldest first) and marking done.

Staff sign in with accounts made by `ivr staff add`. Sessions are Flask's signed cookies
(HttpOnly, SameSite=Lax, Secure outside development); every form carries a CSRF token
(Flask-WTF); after a few wrong passwords a name must wait (ivr.store.Store.sign_in).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from urllib.parse import urlparse

from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFProtect

from ivr import staff_api
from ivr.report import call_map, dot, mermaid
from ivr.store import StoreUnavailable
from ivr.store.stats import figures, median, recent_calls

bp = Blueprint("staff", __name__, url_prefix="/staff")
csrf = CSRFProtect()
OPEN_PAGES = {"staff.sign_in"}
# Where the flow page keeps its drawing, in app.extensions.
FLOW_PICTURE = "ivr_flow_picture"


@bp.before_request
def signed_in_only() -> ResponseReturnValue | None:
    """Every page but sign-in needs a signed-in member of staff."""
    if request.endpoint in OPEN_PAGES or session.get("staff"):
        return None
    return redirect(url_for("staff.sign_in", next=request.path))


@bp.after_request
def private(response: ResponseReturnValue) -> ResponseReturnValue:
    response.headers["Cache-Control"] = "no-store"  # type: ignore[union-attr]
    return response


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    """The sign-in form; a wrong name or password gets the same answer."""
    if request.method == "GET":
        return render_template("staff/sign_in.html", error=None)
    name = request.form.get("name", "")
    try:
        outcome = staff_api.store().sign_in(name, request.form.get("password", ""))
    except StoreUnavailable:
        return render_template(
            "staff/sign_in.html", error="The database is not answering. Try again in a minute."
        ), 503
    if outcome == "locked":
        return render_template(
            "staff/sign_in.html", error="Too many wrong passwords. Wait 15 minutes, then try again."
        ), 429
    if outcome != "ok":
        return render_template(
            "staff/sign_in.html", error="That name and password do not match."
        ), 401
    session.clear()  # a new session on signing in
    session["staff"] = name.strip()
    session.permanent = True
    target = request.args.get("next", "")
    return redirect(target if _safe_next(target) else url_for("staff.queue"))


def _safe_next(target: str) -> bool:
    """Whether `next` is a staff page or the practice phone (with a shared link's options).

    Only a path on this site: never send staff elsewhere after signing in. Browsers read a
    backslash as a slash, so "/\\evil.example" would leave the site too.
    """
    if "\\" in target or "//" in target:
        return False
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc:
        return False
    return target.startswith(("/staff/", "/phone?", "/phone/")) or target == "/phone"


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    session.clear()
    return redirect(url_for("staff.sign_in"))


@bp.get("/")
def queue() -> ResponseReturnValue:
    """Open callback requests, oldest first, with what the caller needed.

    Requests booked from the practice phones are listed apart, so that nobody rings them.
    """
    now = dt.datetime.now(dt.UTC)
    try:
        found = staff_api.store().open_callbacks()
    except StoreUnavailable:
        return render_template("staff/queue.html", callbacks=None, practice=[], now=now), 503
    callbacks = [c for c in found if not c.practice]
    practice = [c for c in found if c.practice]
    return render_template("staff/queue.html", callbacks=callbacks, practice=practice, now=now)


@bp.post("/callbacks/<int:callback_id>/done")
def done(callback_id: int) -> ResponseReturnValue:
    """Mark a request done: its number is deleted."""
    staff_api.store().mark_done(callback_id)
    return redirect(url_for("staff.queue"))


@bp.get("/calls")
def calls() -> ResponseReturnValue:
    """The latest calls: when, how long, the parts they went through, and transfers."""
    found = recent_calls(staff_api.store().engine)
    return render_template("staff/calls.html", calls=found)


@bp.get("/dashboard")
def dashboard() -> ResponseReturnValue:
    """What callers needed, in charts with the figures beside them."""
    store = staff_api.store()
    now = dt.datetime.now(dt.UTC)
    shown = figures(store.engine, now=now)
    # Like the figures, the count of call backs waiting leaves practice ones out.
    waiting = [c for c in store.open_callbacks() if not c.practice]
    named = {
        "parts_heard": [(_title(node), n) for node, n in shown.parts_heard[:10]],
        "drop_off": [(_title(node), n) for node, n in shown.drop_off[:10]],
    }
    return render_template(
        "staff/dashboard.html",
        shown=shown,
        named=named,
        waiting=waiting,
        now=now,
        median=median(shown.seconds_to_person),
    )


@bp.get("/flow")
def flow() -> ResponseReturnValue:
    """The call flow as a picture: Graphviz's SVG where dot is installed, and the Mermaid text."""
    svg, mermaid_text, tree = _flow_picture()
    return render_template("staff/flow.html", svg=svg, mermaid=mermaid_text, tree=tree)


def _flow_picture() -> tuple[str | None, str, str]:
    """The flow's (SVG, Mermaid text, tree of keys), drawn on the first request and kept.

    The content does not change while the process runs. A drawing without its SVG (no dot,
    or dot failed) is not kept, so that the next request tries dot again.
    """
    kept: tuple[str | None, str, str] | None = current_app.extensions.get(FLOW_PICTURE)
    if kept is not None:
        return kept
    content = current_app.extensions["ivr"].content
    svg = None
    if shutil.which("dot"):
        done = subprocess.run(
            ["dot", "-Tsvg"],
            input=dot(content),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        # Inline SVG: drop the XML prologue and doctype, keep the drawing.
        svg = done.stdout[done.stdout.find("<svg") :] if done.returncode == 0 else None
    picture = (svg, "\n".join(mermaid(content)), "\n".join(call_map(content)))
    if svg is not None:
        current_app.extensions[FLOW_PICTURE] = picture
    return picture


def _title(node_id: str) -> str:
    """A node's title for people (the id itself when the flow no longer has it)."""
    engine = current_app.extensions["ivr"].engine
    node = engine.flow.nodes.get(node_id) if engine else None
    return node.title if node else node_id


def waited(since: dt.datetime, now: dt.datetime) -> str:
    """How long a request has waited, as people say it."""
    minutes = int((now - since).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h {minutes % 60} min" if hours < 24 else f"{hours // 24} days"


def init_app(app: Flask, development: bool) -> None:
    """The staff site, with CSRF on every form and secure session cookies."""
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not development,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=8),
        WTF_CSRF_TIME_LIMIT=8 * 3600,
    )
    csrf.init_app(app)
    # Twilio's webhooks are signed, and the API takes a bearer token: neither has cookies.
    for name in ("voice", "staff_api", "media"):
        csrf.exempt(app.blueprints[name])
    app.jinja_env.filters["waited"] = waited
    app.jinja_env.filters["node_title"] = _title
    app.register_blueprint(bp)
