"""A call, step by step: where the caller is, what their keys and words mean, what they
hear next.

Plain Python on top of ivr.content; no web, database or Twilio code."""
