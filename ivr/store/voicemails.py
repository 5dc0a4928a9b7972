"""Voicemails: saved when a caller leaves a message, listed for staff, marked done, and deleted
after the retention period, their recording at Twilio first.

The recording itself stays at Twilio; the store keeps its sid and address, what the caller was
listening to and their reasons, never their number. Practice voicemails (left on the practice
phones) have no recording at Twilio: nothing is asked of Twilio for them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ivr.store.connection import Database
from ivr.store.tables import LISTENING_TO, Voicemail

if TYPE_CHECKING:
    from twilio.rest import Client

log = logging.getLogger("ivr.store")
# Twilio's recording sids: RE and 32 hexadecimal digits. Anything else is never sent on.
RECORDING_SID = re.compile(r"^RE[0-9a-f]{32}$")
# Seconds to wait for Twilio's REST API, for each recording deleted.
TWILIO_TIMEOUT = 30
# A recording the status callback told of before the <Record> action came: the action, when it
# comes, fills in what the caller was listening to.
NOT_YET_SAID = ""


@dataclass(frozen=True)
class TwilioAccount:
    """The Twilio account whose recordings these are (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN),
    and where its REST API is: Twilio's own unless a stand-in is named (tests)."""

    account_sid: str
    auth_token: str
    api_base_url: str | None = None

    @classmethod
    def named(
        cls, account_sid: str | None, auth_token: str | None, api_base_url: str | None
    ) -> TwilioAccount | None:
        """The account the settings name, or None where either credential is missing."""
        if not account_sid or not auth_token:
            return None
        return cls(account_sid, auth_token, api_base_url)

    def client(self) -> Client:
        """The twilio client for the account, bounded in time."""
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        client = Client(
            self.account_sid,
            self.auth_token,
            http_client=TwilioHttpClient(timeout=TWILIO_TIMEOUT),
        )
        if self.api_base_url:
            client.api.base_url = self.api_base_url  # a stand-in for Twilio, in tests
        return client

    def media_url(self, recording_sid: str, extension: str = "mp3") -> str:
        """Where the recording's audio is, built from its sid (never an address a request gave)."""
        if not RECORDING_SID.match(recording_sid):
            raise ValueError("a recording sid is RE followed by 32 hexadecimal digits")
        base = (self.api_base_url or "https://api.twilio.com").rstrip("/")
        return (
            f"{base}/2010-04-01/Accounts/{self.account_sid}/Recordings/{recording_sid}.{extension}"
        )


@dataclass(frozen=True)
class VoicemailRecord:
    """A voicemail as staff see it: never the caller's number, which is not kept."""

    id: int
    call_sid: str
    created_at: dt.datetime
    listening_to: str
    reasons: list[str]
    duration_seconds: int | None
    recording_sid: str | None
    practice: bool  # left on the practice phones: its recording is a stand-in

    @property
    def playable(self) -> bool:
        """Whether there is something to play: a recording at Twilio, or the practice stand-in."""
        return self.practice or self.recording_sid is not None


@dataclass(frozen=True)
class VoicemailPurge:
    """What `purge_voicemails` deleted, and what it kept although it is older."""

    voicemails: int  # rows deleted
    recordings: int  # recordings deleted at Twilio
    kept: tuple[str, ...]  # done voicemails kept, each with why (the recording was not deleted)
    open_kept: int  # voicemails not done yet, kept whatever their age


class VoicemailBox(Database):
    """The Store's voicemails."""

    def save_voicemail(
        self, call_sid: str, listening_to: str, reasons: list[str], practice: bool
    ) -> int:
        """A caller left a message (the <Record> action): the row, whose recording details
        may come later (`recording_done`). Returns its id."""
        row = {
            "listening_to": listening_to[:LISTENING_TO],
            "reasons": [str(reason) for reason in reasons],
            "practice": practice,
        }
        early = (
            select(Voicemail.id)
            .where(Voicemail.call_sid == call_sid, Voicemail.listening_to == NOT_YET_SAID)
            .order_by(Voicemail.id.desc())
            .limit(1)
        )
        with self._database("saving a voicemail"), self.engine.begin() as connection:
            found = connection.scalar(early)
            if found is not None:  # its recording's callback came first
                connection.execute(update(Voicemail).where(Voicemail.id == found).values(row))
                return int(found)
            made = connection.execute(
                insert(Voicemail).values(call_sid=call_sid, created_at=self.clock(), **row)
            )
        key = made.inserted_primary_key
        assert key is not None
        return int(key[0])

    def recording_done(
        self, call_sid: str, recording_sid: str, recording_url: str, duration: int | None
    ) -> int | None:
        """Twilio's recording status callback: the latest voicemail of the call without a
        recording gets this one. A callback sent again changes nothing. Returns the id."""
        details = {
            "recording_sid": recording_sid,
            "recording_url": recording_url[:300],
            "duration_seconds": duration,
        }
        latest = (
            select(Voicemail.id)
            .where(Voicemail.call_sid == call_sid, Voicemail.recording_sid.is_(None))
            .order_by(Voicemail.id.desc())
            .limit(1)
        )
        known = select(Voicemail.id).where(Voicemail.recording_sid == recording_sid)
        with self._database("saving a recording"), self.engine.connect() as connection:
            try:
                found = connection.scalar(known)
                if found is not None:
                    return int(found)
                target = connection.scalar(latest)
                if target is not None:
                    change = update(Voicemail).where(Voicemail.id == target).values(details)
                    connection.execute(change)
                else:
                    # Before the <Record> action: kept, so the recording is never lost.
                    made = connection.execute(
                        insert(Voicemail).values(
                            call_sid=call_sid,
                            created_at=self.clock(),
                            listening_to=NOT_YET_SAID,
                            reasons=[],
                            **details,
                        )
                    )
                    key = made.inserted_primary_key
                    assert key is not None
                    target = key[0]
                connection.commit()
            except IntegrityError:
                # The same callback, at the same moment, on another worker: theirs stands.
                connection.rollback()
                return connection.scalar(known)
        return int(target)

    def open_voicemails(self) -> list[VoicemailRecord]:
        """Voicemails not done yet, oldest first."""
        return self._voicemails(Voicemail.done_at.is_(None))

    def voicemail(self, voicemail_id: int) -> VoicemailRecord | None:
        """An open voicemail by its id (None when there is none, or it is done)."""
        found = self._voicemails(Voicemail.done_at.is_(None), Voicemail.id == voicemail_id)
        return found[0] if found else None

    def _voicemails(self, *where: ColumnElement[bool]) -> list[VoicemailRecord]:
        query = select(Voicemail).where(*where).order_by(Voicemail.created_at, Voicemail.id)
        with self._database("listing voicemails"), self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            VoicemailRecord(
                id=row.id,
                call_sid=row.call_sid,
                created_at=row.created_at,
                listening_to=row.listening_to,
                reasons=list(row.reasons or []),
                duration_seconds=row.duration_seconds,
                recording_sid=row.recording_sid,
                practice=row.practice,
            )
            for row in rows
        ]

    def mark_voicemail_done(self, voicemail_id: int) -> bool:
        """Mark a voicemail done; False if there is no open one of that id."""
        change = (
            update(Voicemail)
            .where(Voicemail.id == voicemail_id, Voicemail.done_at.is_(None))
            .values(done_at=self.clock())
        )
        with self._database("marking a voicemail done"), self.engine.begin() as connection:
            return connection.execute(change).rowcount == 1

    def purge_voicemails(
        self, now: dt.datetime, retention_days: int, twilio: TwilioAccount | None
    ) -> VoicemailPurge:
        """Delete voicemails done longer ago than the retention period: each recording at
        Twilio first, then the rows. A recording Twilio did not delete keeps its row (and says
        why) for the next purge; a recording Twilio no longer has counts as deleted."""
        cutoff = now - dt.timedelta(days=retention_days)
        to_delete = select(Voicemail.id, Voicemail.recording_sid).where(
            Voicemail.done_at < cutoff,
            Voicemail.deleted_at.is_(None),
            Voicemail.practice.is_(False),
            Voicemail.recording_sid.is_not(None),
        )
        with self._database("listing old voicemails"), self.engine.connect() as connection:
            recordings = connection.execute(to_delete).all()
        kept: list[str] = []
        deleted = 0
        for voicemail_id, recording_sid in recordings:
            why = _delete_recording(twilio, str(recording_sid))
            if why is not None:
                log.warning("voicemail %s kept: %s", voicemail_id, why)
                kept.append(f"voicemail {voicemail_id}: {why}")
                continue
            deleted += 1
            gone = update(Voicemail).where(Voicemail.id == voicemail_id).values(deleted_at=now)
            with self._database("noting a deleted recording"), self.engine.begin() as connection:
                connection.execute(gone)
        return self._delete_old_rows(cutoff, deleted, kept)

    def _delete_old_rows(
        self, cutoff: dt.datetime, recordings: int, kept: list[str]
    ) -> VoicemailPurge:
        """Delete the old done rows with nothing left at Twilio."""
        nothing_at_twilio = or_(
            Voicemail.deleted_at.is_not(None),
            Voicemail.practice.is_(True),
            Voicemail.recording_sid.is_(None),
        )
        old_open = (
            select(func.count())
            .select_from(Voicemail)
            .where(Voicemail.done_at.is_(None), Voicemail.created_at < cutoff)
        )
        with self._database("purging voicemails"), self.engine.begin() as connection:
            self._maintenance(connection)
            rows = connection.execute(
                delete(Voicemail).where(Voicemail.done_at < cutoff, nothing_at_twilio)
            )
            open_kept = connection.scalar(old_open)
        return VoicemailPurge(rows.rowcount, recordings, tuple(kept), open_kept or 0)


def _delete_recording(twilio: TwilioAccount | None, recording_sid: str) -> str | None:
    """Delete a recording at Twilio: None when it is gone, else why it is not."""
    from twilio.base.exceptions import TwilioException, TwilioRestException

    if twilio is None:
        needed = "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed"
        return f"recording {recording_sid} not deleted: {needed}"
    if not RECORDING_SID.match(recording_sid):
        return f"recording {recording_sid!r} not deleted: not a Twilio recording sid"
    try:
        twilio.client().recordings(recording_sid).delete()
    except TwilioRestException as error:
        if error.status == 404:  # Twilio no longer has it: deleted already
            return None
        return f"Twilio did not delete recording {recording_sid}: HTTP {error.status} {error.msg}"
    except (TwilioException, OSError) as error:
        return f"Twilio did not delete recording {recording_sid}: {error}"
    return None
