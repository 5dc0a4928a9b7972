"""How long a callback request has waited, said the same way by `ivr callbacks` and the staff
site."""

from __future__ import annotations

import datetime as dt


def age(delta: dt.timedelta) -> str:
    """How long ago, roughly: 5m, 3h 05m, 2d 04h."""
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"
