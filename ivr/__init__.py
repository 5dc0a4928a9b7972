"""A telephone helpline on getting a second opinion, answered with Twilio and Flask."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["create_app"]


def create_app(*args: Any, **kwargs: Any) -> Flask:
    """The Flask app (ivr.app.create_app). Imported when called, so that `import ivr.call.engine`,
    or the `ivr` command's help, does not load the web stack."""
    from ivr.app import create_app as build

    return build(*args, **kwargs)
