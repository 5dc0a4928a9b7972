"""A telephone helpline on getting a second opinion, answered with Twilio and Flask."""

from ivr.app import create_app

__all__ = ["create_app"]
