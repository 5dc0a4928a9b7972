"""Twilio's webhooks: signed requests in, call steps out as TwiML."""
