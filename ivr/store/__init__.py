"""The helpline's database: a journal of calls, callback requests, staff tokens, retention.

See `Store`. Tables are in `ivr.store.tables`, migrations in ivr/store/migrations/
(`ivr db upgrade`).
"""

from ivr.store.database import (
    Booking,
    CallbackRequest,
    PurgeResult,
    Store,
    StoreUnavailable,
    head_revision,
)

__all__ = [
    "Booking",
    "CallbackRequest",
    "PurgeResult",
    "Store",
    "StoreUnavailable",
    "head_revision",
]
