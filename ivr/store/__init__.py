"""The helpline's database: a journal of calls, callback requests, staff accounts and tokens,
retention.

See `Store` (ivr.store.database), made of one part per job. Tables are in `ivr.store.tables`,
migrations in ivr/store/migrations/ (`ivr db upgrade`).

The names below are imported when first used, so that importing one module of the package
(the `ivr` command's, say) does not load SQLAlchemy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ivr.store.callbacks import Booking, CallbackRequest
    from ivr.store.calls import PurgeResult
    from ivr.store.connection import StoreUnavailable
    from ivr.store.database import Store
    from ivr.store.upgrade import head_revision

# Where each name the package offers is defined.
_HOMES = {
    "Booking": "ivr.store.callbacks",
    "CallbackRequest": "ivr.store.callbacks",
    "PurgeResult": "ivr.store.calls",
    "Store": "ivr.store.database",
    "StoreUnavailable": "ivr.store.connection",
    "head_revision": "ivr.store.upgrade",
}

__all__ = [
    "Booking",
    "CallbackRequest",
    "PurgeResult",
    "Store",
    "StoreUnavailable",
    "head_revision",
]


def __getattr__(name: str) -> Any:
    """One of the names above, from its module (imported now if it was not yet)."""
    if name not in _HOMES:
        raise AttributeError(f"module 'ivr.store' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
