"""The one CSRF protection (Flask-WTF) for every form: the staff site's and the practice
phone's. The staff site sets it up (ivr.staff.site.init_app); the practice phone checks its own
POSTs only after its sign-in check, so that a lapsed session hears why."""

from __future__ import annotations

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
