"""Rendered prompt audio at stable URLs: cached for a year, ETags, ranges, nothing else readable."""

from __future__ import annotations

import re

from flask import Blueprint, Flask, Response, abort, jsonify, send_from_directory

from ivr.audio.library import AUDIO_PATH
from ivr.webhooks.helpline import helpline

bp = Blueprint("media", __name__, url_prefix=AUDIO_PATH)
# Names are content hashes: only such a name can be asked for, so no other file can be reached.
NAME = re.compile(r"^[0-9a-f]{32}\.wav$")
ONE_YEAR = 365 * 24 * 3600


@bp.get("/<name>")
def audio_file(name: str) -> Response:
    """One rendered prompt; its name never changes its content, so it may be cached for a year."""
    if not NAME.match(name):
        abort(404)
    audio_dir = helpline().settings.audio_dir
    response = send_from_directory(
        audio_dir, name, mimetype="audio/wav", max_age=ONE_YEAR, conditional=True, etag=True
    )
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


@bp.get("/captions.json")
def captions() -> Response:
    """The written words of every recording, by file name: a phone calling this helpline from
    elsewhere (`ivr call --url`) shows them as it plays each one. They are the prompts' own
    written text, nothing about any call."""
    audio = helpline().audio
    response = jsonify(audio.captions if audio is not None else {})
    response.headers["Cache-Control"] = "no-cache"  # a new render changes them
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
