"""The texts callers ask for: each kind at most once a call and a few a day to a number, checked
and counted in one transaction before anything is sent; then Twilio's id for the message and
how its delivery went. The number is used to count and is never kept: only a keyed hash of it
with the day (a key of its own, so no row can be joined to a call or another day)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ivr.store.connection import Database
from ivr.store.tables import SID, STATUS, TEXT_KIND, Call, TextAllowance, TextMessage

# A number is sent at most this many texts a day: nobody can use the line to flood a phone
# (a caller who asks for every kind of text gets them all, on no more than two calls).
TEXTS_PER_NUMBER_A_DAY = 6
NOT_SENT = "not-sent"  # reserved, and Twilio never took it
REFUSED = "refused"  # over the day's limit for the number, or sent on this call already


@dataclass(frozen=True)
class SentText:
    """A text as staff may see it: its call, kind and delivery; never the number."""

    call_sid: str
    kind: str
    created_at: dt.datetime
    status: str


class TextLog(Database):
    """The Store's texts: reserved before sending (bounded in time), then their delivery."""

    def _allowance_hash(self, number: str, day: dt.date) -> str:
        key = hmac.digest(self._number_key, b"ivr texts a day", "sha256")
        message = f"{day.isoformat()} {number.strip()}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def reserve_text(self, call_sid: str, number: str, kind: str) -> int | None:
        """Keep a place for a text of this kind on this call to the number: its id, or None
        where one was sent on the call already, or the number had its texts for the day.
        Raises StoreUnavailable, within the write timeout, when it cannot be confirmed."""
        now = self.clock()
        row = {
            "call_sid": call_sid[:SID],
            "kind": kind[:TEXT_KIND],
            "created_at": now,
            "status": NOT_SENT,
        }
        day = now.date()
        number_hash = self._allowance_hash(number, day)

        def reserve(_deadline: float) -> int | None:
            with self._database("reserving a text"), self.engine.connect() as connection:
                # The number must be the call's own (Twilio's From when it came in), as kept.
                kept = connection.scalar(
                    select(Call.caller_hash).where(Call.call_sid == row["call_sid"])
                )
                if kept is not None and kept != self.hash_number(number):
                    return None
                sent = connection.scalar(
                    select(TextAllowance.sent).where(TextAllowance.number_hash == number_hash)
                )
                if sent is not None and sent >= TEXTS_PER_NUMBER_A_DAY:
                    return None
                try:
                    made = connection.execute(insert(TextMessage).values(row))
                    if sent is None:
                        allowance = {"day": day, "number_hash": number_hash, "sent": 1}
                        connection.execute(insert(TextAllowance).values(allowance))
                    else:
                        connection.execute(
                            update(TextAllowance)
                            .where(TextAllowance.number_hash == number_hash)
                            .values(sent=TextAllowance.sent + 1)
                        )
                    connection.commit()
                except IntegrityError:  # this kind on this call already, or a race for the day
                    connection.rollback()
                    return None
                key = made.inserted_primary_key
                assert key is not None
                return int(key[0])

        return self._bounded("reserving a text", reserve)

    def text_sent(self, text_id: int, message_sid: str | None, status: str) -> None:
        """Twilio took the text (its id, its first status), or did not (message_sid None)."""
        change = (
            update(TextMessage)
            .where(TextMessage.id == text_id)
            .values(message_sid=message_sid, status=status[:STATUS])
        )
        with self._database("noting a text"), self.engine.begin() as connection:
            connection.execute(change)

    def text_status(self, message_sid: str, status: str) -> bool:
        """How the text's delivery went (Twilio's status callback); False for no such text."""
        change = (
            update(TextMessage)
            .where(TextMessage.message_sid == message_sid)
            .values(status=status[:STATUS])
        )
        with self._database("noting a text's delivery"), self.engine.begin() as connection:
            return connection.execute(change).rowcount == 1

    def texts_of(self, call_sid: str) -> list[SentText]:
        """The texts sent on a call, oldest first."""
        query = (
            select(TextMessage)
            .where(TextMessage.call_sid == call_sid)
            .order_by(TextMessage.created_at, TextMessage.id)
        )
        with self._database("listing texts"), self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [SentText(r.call_sid, r.kind, r.created_at, r.status) for r in rows]

    def text_counts(self, since: dt.datetime) -> list[tuple[str, str, int]]:
        """(kind, status, how many) of the texts since then."""
        query = (
            select(TextMessage.kind, TextMessage.status, func.count())
            .where(TextMessage.created_at >= since)
            .group_by(TextMessage.kind, TextMessage.status)
        )
        with self._database("counting texts"), self.engine.connect() as connection:
            return [(str(k), str(s), int(n)) for k, s, n in connection.execute(query).all()]

    def purge_texts(self, now: dt.datetime, retention_days: int) -> int:
        """Delete texts older than the retention period, and every day's counts but today's
        and yesterday's; how many texts went."""
        cutoff = now - dt.timedelta(days=retention_days)
        with self._database("purging texts"), self.engine.begin() as connection:
            self._maintenance(connection)
            gone = connection.execute(delete(TextMessage).where(TextMessage.created_at < cutoff))
            connection.execute(
                delete(TextAllowance).where(TextAllowance.day < (now - dt.timedelta(days=1)).date())
            )
        return gone.rowcount
