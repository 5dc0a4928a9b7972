"""The staff site under /staff/: sign in, then the callback queue (oldest first) and marking done.

Staff sign in with accounts made by `ivr staff add`. Sessions are Flask's signed cookies
(HttpOnly, SameSite=Lax, Secure outside development) that hold the account's session stamp,
checked on every request: signing out, a changed password or a removed account ends them at
once. Every form carries a CSRF token (Flask-WTF). After a few wrong passwords a name must wait,
and after many wrong tries a client must (ivr.store.Store.sign_in). The staff pages and API send
security headers (`security_headers`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import secrets
import shutil
import subprocess
from functools import partial
from urllib.parse import urlparse

from flask import (
    Blueprint,
    Flask,
    Response,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from ivr.content.load import Content
from ivr.csrf import csrf
from ivr.report import call_map, dot, mermaid
from ivr.staff import nurses, voicemails
from ivr.staff.api import MAX_ID
from ivr.store import StoreUnavailable
from ivr.store.accounts import LOCK_MINUTES, SignInRefused, StaffSession
from ivr.store.stats import median
from ivr.store.waiting import age
from ivr.webhooks.helpline import FlowPicture, helpline

log = logging.getLogger("ivr.staff")
bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")
# The nurse rota and the voicemails, each a blueprint of its own within this one: they share
# its sign-in, its error pages and its security headers.
bp.register_blueprint(nurses.bp)
bp.register_blueprint(voicemails.bp)
OPEN_PAGES = {"staff.sign_in"}
# The blueprints whose requests a staff session lets in: the staff pages and the practice phone.
SESSION_BLUEPRINTS = {"staff", "phone_site"}
NOT_ANSWERING = "The database is not answering. Try again in a minute."
# What each refused sign-in is told, with its status. Nothing says whether the name exists.
REFUSED = {
    SignInRefused.WRONG: (401, "That name and password do not match."),
    SignInRefused.LOCKED: (429, "Too many wrong passwords. Wait 15 minutes, then try again."),
    SignInRefused.THROTTLED: (
        429,
        "Too many tries to sign in from here. Wait 15 minutes, then try again.",
    ),
}
# Sent with every page and API answer under /staff/; the Content-Security-Policy is made for
# each (`_policy`), and Strict-Transport-Security is added outside development.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers older than CSP's frame-ancestors
    # Not "no-referrer": over https Flask-WTF refuses a form whose Referer is not this site.
    "Referrer-Policy": "same-origin",
}
HSTS = "max-age=31536000"  # a year; not includeSubDomains, which would bind the whole domain
FIGURES_DAYS = 14  # the dashboard's period, as ivr.store.stats.figures counts it


def check_session() -> ResponseReturnValue | None:
    """End a session on the server: one whose account has signed out, had its password changed
    or been removed since is cleared, before the staff pages or the practice phone see it."""
    if SESSION_BLUEPRINTS.isdisjoint(request.blueprints) or not session.get("staff"):
        return None
    held = StaffSession(str(session["staff"]), str(session.get("stamp", "")))
    try:
        good = helpline().store.still_signed_in(held)
    except StoreUnavailable as error:
        if "phone_site" in request.blueprints and request.method == "POST":
            log.warning("staff session: %s", error)
            return jsonify(error=NOT_ANSWERING), 503  # the phone page's requests are JSON
        return unavailable(error)
    if not good:
        session.clear()
    return None


@bp.before_request
def signed_in_only() -> ResponseReturnValue | None:
    """Every page but sign-in needs a signed-in member of staff."""
    if request.endpoint in OPEN_PAGES or session.get("staff"):
        return None
    return redirect(url_for("staff.sign_in", next=request.path))


@bp.after_request
def private(response: ResponseReturnValue) -> ResponseReturnValue:
    """Staff pages are never cached."""
    response.headers["Cache-Control"] = "no-store"  # type: ignore[union-attr]
    return response


@bp.errorhandler(StoreUnavailable)
def unavailable(error: StoreUnavailable) -> ResponseReturnValue:
    """Any page the database cannot answer for: a page that says so (503), never a 500."""
    log.warning("staff site: %s", error)
    page = render_template("staff/unavailable.html", message=NOT_ANSWERING)
    return page, 503, {"Retry-After": "60"}


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    """The sign-in form; a wrong name or password gets the same answer."""
    if request.method == "GET":
        return render_template("staff/sign_in.html", error=None)
    try:
        outcome = helpline().store.sign_in(
            request.form.get("name", ""),
            request.form.get("password", ""),
            client=client_of(request.remote_addr),
        )
    except StoreUnavailable:
        return render_template("staff/sign_in.html", error=NOT_ANSWERING), 503
    if isinstance(outcome, SignInRefused):
        status, error = REFUSED[outcome]
        wait = {"Retry-After": str(LOCK_MINUTES * 60)} if status == 429 else {}
        return render_template("staff/sign_in.html", error=error), status, wait
    session.clear()  # a new session on signing in
    session["staff"] = outcome.name
    session["stamp"] = outcome.stamp
    session.permanent = True
    target = request.args.get("next", "")
    return redirect(target if _safe_next(target) else url_for("staff.queue"))


def client_of(address: str | None) -> str:
    """Who is signing in, for the throttle: the remote address as the app sees it (ProxyFix
    has taken it from the trusted proxy's X-Forwarded-For where PROXY_HOPS is set). An IPv6
    host can pick any address in its /64, so the /64 is one client."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def _safe_next(target: str) -> bool:
    """Whether `next` is a staff page or the practice phone (with a shared link's options).

    Only a path on this site: never send staff elsewhere after signing in. Browsers read a
    backslash as a slash, so "/\\evil.example" would leave the site too; and a line break (or
    any control character) cannot go into the Location header at all.
    """
    if "\\" in target or "//" in target or not target.isprintable():
        return False
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc:
        return False
    return target.startswith(("/staff/", "/phone?", "/phone/")) or target == "/phone"


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    """Sign out, which ends every session of the account, on every device."""
    helpline().store.end_sessions(session["staff"])
    session.clear()
    return redirect(url_for("staff.sign_in"))


@bp.get("/")
def queue() -> ResponseReturnValue:
    """Open callback requests, oldest first, with what the caller needed.

    Requests booked from the practice phones are listed apart, so that nobody rings them.
    """
    now = dt.datetime.now(dt.UTC)
    found = helpline().store.open_callbacks()
    callbacks = [c for c in found if not c.practice]
    practice = [c for c in found if c.practice]
    return render_template("staff/queue.html", callbacks=callbacks, practice=practice, now=now)


@bp.post(f"/callbacks/<int(max={MAX_ID}):callback_id>/done")
def done(callback_id: int) -> ResponseReturnValue:
    """Mark a request done: its number is deleted."""
    helpline().store.mark_done(callback_id)
    return redirect(url_for("staff.queue"))


@bp.get("/calls")
def calls() -> ResponseReturnValue:
    """The latest calls: when, how long, the parts they went through, and transfers."""
    return render_template("staff/calls.html", calls=helpline().store.recent_calls())


@bp.get("/dashboard")
def dashboard() -> ResponseReturnValue:
    """What callers needed, in charts with the figures beside them."""
    store = helpline().store
    now = store.clock()  # the store's time: what its rows were written by
    shown = store.figures(now)
    # Like the figures, the count of call backs waiting leaves practice ones out.
    waiting = [c for c in store.open_callbacks() if not c.practice]
    queue = store.queue_figures(now - dt.timedelta(days=FIGURES_DAYS))
    messages = [v for v in store.open_voicemails() if not v.practice]
    named = {
        "parts_heard": [(_title(node), n) for node, n in shown.parts_heard[:10]],
        "drop_off": [(_title(node), n) for node, n in shown.drop_off[:10]],
        "languages": [(_language_name(code), n) for code, n in shown.calls_by_language],
    }
    return render_template(
        "staff/dashboard.html",
        shown=shown,
        named=named,
        waiting=waiting,
        now=now,
        median=median(shown.seconds_to_person),
        queue=queue,
        queue_left=sorted(queue.left.items(), key=lambda pair: (-pair[1], pair[0])),
        messages=messages,
    )


@bp.get("/flow")
def flow() -> ResponseReturnValue:
    """The call flow as a picture: Graphviz's SVG where dot is installed, and the Mermaid text."""
    svg, mermaid_text, tree = helpline().flow_picture()
    return render_template("staff/flow.html", svg=svg, mermaid=mermaid_text, tree=tree)


class FlowDrawing:
    """The flow's picture, drawn on the first request and kept.

    The content does not change while the process runs. A drawing without its SVG (no dot,
    or dot failed) is not kept, so that the next request tries dot again.
    """

    def __init__(self, content: Content) -> None:
        self.content = content
        self._kept: FlowPicture | None = None

    def __call__(self) -> FlowPicture:
        """The picture: kept, or drawn now."""
        if self._kept is not None:
            return self._kept
        svg = None
        if shutil.which("dot"):
            done = subprocess.run(
                ["dot", "-Tsvg"],
                input=dot(self.content),
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            # Inline SVG: drop the XML prologue and doctype, keep the drawing.
            svg = done.stdout[done.stdout.find("<svg") :] if done.returncode == 0 else None
        picture = FlowPicture(
            svg, "\n".join(mermaid(self.content)), "\n".join(call_map(self.content))
        )
        if svg is not None:
            self._kept = picture
        return picture


def _title(node_id: str) -> str:
    """A node's title for people (the id itself when the flow no longer has it)."""
    node = helpline().engine.flow.nodes.get(node_id)
    return node.title if node else node_id


def waited(since: dt.datetime, now: dt.datetime) -> str:
    """How long a request has waited, as `ivr callbacks` says it."""
    return age(now - since)


def style_nonce() -> str:
    """This response's nonce for the page's own <style> element, made when a page asks."""
    if "style_nonce" not in g:
        g.style_nonce = secrets.token_urlsafe(16)
    nonce: str = g.style_nonce
    return nonce


def _policy() -> str:
    """Nothing may load, frame the page or be sent elsewhere; only the page's own styles apply,
    and, on a page with players (the voicemails), recordings from this site."""
    nonce = g.get("style_nonce")
    styles = f"style-src 'nonce-{nonce}'; " if nonce else ""
    media = "media-src 'self'; " if g.get("media_src") else ""
    return (
        f"default-src 'none'; {styles}{media}form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )


def security_headers(response: Response, *, hsts: bool) -> Response:
    """The staff pages' and the staff API's security headers (the practice phone sets its own)."""
    if request.path == "/staff" or request.path.startswith("/staff/"):
        response.headers.update(SECURITY_HEADERS)
        response.headers["Content-Security-Policy"] = _policy()
        if hsts:
            response.headers["Strict-Transport-Security"] = HSTS
    return response


def _language_name(code: str | None) -> str:
    """A language as staff read it, in the line's first language ("Welsh")."""
    if not code:
        return "not known"
    return helpline().content.languages.name_of(code)


def init_app(app: Flask, development: bool) -> None:
    """The staff site, with CSRF on every form, secure session cookies that can be ended, and
    security headers; HTTPS only (HSTS, Secure cookies) outside development."""
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
    app.jinja_env.filters["language_name"] = _language_name
    app.jinja_env.filters["last_digits"] = nurses.last_digits
    # On the app, not the blueprint: the practice phone takes the staff session too, and the
    # headers cover the staff API and every answer under /staff/, a 404 included.
    app.before_request(check_session)
    app.after_request(partial(security_headers, hsts=not development))
    app.context_processor(lambda: {"style_nonce": style_nonce})
    app.register_blueprint(bp)
