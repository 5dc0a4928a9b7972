"""The tables. The caller's number is in `callbacks.number` only, and only while a request is open.

Every other trace of a caller is `hash_number`'s keyed hash. Migrations (ivr/store/migrations/)
create these tables; a test checks that the migrated schema matches this module exactly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Column sizes, also used to cut over-long journal values rather than fail a whole batch.
SID = 64  # Twilio's CallSid is 34 characters
NODE = 100
HEARD = 40
KIND = 16
STATUS = 20
HASH = 64  # SHA-256 in hex
NUMBER = 16  # E.164: + and at most 15 digits
LISTENING_TO = 200
NAME = 100
PASSWORD_HASH = 200  # an Argon2 hash in its PHC string form is about 100 characters
HOURS = 200  # a nurse's hours, as NURSE_LINE_HOURS is written
NURSE_KEY = 20  # "n:<id>" for a nurse on the rota, "line" for NURSE_LINE_NUMBER
STATE = 1000  # a call's state as its webhook URLs carry it
LANGUAGE = 16  # a language as prompts/ names it: en-GB, cy-GB


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in and out, on SQLite too (which keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        """An aware time as the database keeps it: UTC (naive UTC text on SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give times in UTC with tzinfo")
        value = value.astimezone(dt.UTC)
        # SQLite compares the stored text, so every value must be written the same way.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """A time from the database, aware and in UTC."""
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Every table's base, with constraints named the same way on both databases."""

    # Named constraints, so later migrations can alter them by name on both databases.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Call(Base):
    """One call, from Twilio's first webhook to its status callback."""

    __tablename__ = "calls"

    call_sid: Mapped[str] = mapped_column(String(SID), primary_key=True)
    caller_hash: Mapped[str | None] = mapped_column(String(HASH), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str | None] = mapped_column(String(STATUS))
    duration_seconds: Mapped[int | None]
    # A call from the practice phones (ivr.numbers.PRACTICE_CALLER): listed, never counted.
    practice: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    # The language the call was last heard in (the dashboard splits calls by it); None: not known.
    language: Mapped[str | None] = mapped_column(String(LANGUAGE))


class CallEvent(Base):
    """One step of a call: from a node, what was heard (a key, silence...), to a node."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(
        ForeignKey("calls.call_sid", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    from_node: Mapped[str] = mapped_column(String(NODE))
    heard: Mapped[str] = mapped_column(String(HEARD))
    to_node: Mapped[str] = mapped_column(String(NODE))
    kind: Mapped[str] = mapped_column(String(KIND))


class CallTransfer(Base):
    """A call put through to a person, and how that ended (Twilio's DialCallStatus)."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(
        ForeignKey("calls.call_sid", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    target: Mapped[str] = mapped_column(String(NODE))
    outcome: Mapped[str] = mapped_column(String(STATUS))


class Callback(Base):
    """A caller asked to be called back; the number is kept only until the request is done."""

    __tablename__ = "callbacks"
    __table_args__ = (
        # The database itself refuses a done request that still holds a number.
        CheckConstraint("number IS NULL OR done_at IS NULL", name="done_has_no_number"),
        CheckConstraint("number IS NOT NULL OR done_at IS NOT NULL", name="open_has_number"),
        # One open request per number and kind (done ones hold NULL, which never collides): a
        # practice request is never taken for a real one. The clear number rather than its
        # hash, so a changed SECRET_KEY cannot let requests pile up.
        UniqueConstraint("number", "practice", name="uq_callbacks_number_practice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(SID))
    number: Mapped[str | None] = mapped_column(String(NUMBER))
    number_hash: Mapped[str] = mapped_column(String(HASH), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    listening_to: Mapped[str] = mapped_column(String(LISTENING_TO))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Booked on a call from the practice phones: shown apart, and never to be rung.
    practice: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    # The caller's language, so that a nurse who speaks it calls back; None: not known.
    language: Mapped[str | None] = mapped_column(String(LANGUAGE))


class ApiToken(Base):
    """A staff API token, kept as its SHA-256: the token itself is shown once, when made."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME))
    token_hash: Mapped[str] = mapped_column(String(HASH), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The account the token was made for: removing the account deletes its tokens. None for a
    # token made before tokens were tied to accounts (or for a name without one), which works on.
    # On SQLite a later migration that rebuilds staff_users would delete every token this way.
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )


class StaffUser(Base):
    """A member of staff who signs in to the staff site; the password is kept as an Argon2 hash."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME), unique=True)
    password_hash: Mapped[str] = mapped_column(String(PASSWORD_HASH))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Random, and in every session cookie made for the account: a new one (on signing out, a
    # changed password) ends every session made before it.
    session_stamp: Mapped[str] = mapped_column(String(32))


class SignInAttempt(Base):
    """Each try to sign in, so that guessing can be stopped after a few wrong passwords for a
    name, or from a client; kept for a day (`ivr purge`)."""

    __tablename__ = "sign_in_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    # Who tried (an address, or an IPv6 /64), so that one client trying many names can be
    # stopped too; None for tries recorded before clients were.
    client: Mapped[str | None] = mapped_column(String(64), index=True)


class JournalLoss(Base):
    """Journal events a worker could not write (the database was down, or refused them) or had
    to drop (its queue was full): written once the database takes writes again, so that staff
    see how much of the journal is missing."""

    __tablename__ = "journal_losses"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    failed: Mapped[int]
    dropped: Mapped[int]


class Nurse(Base):
    """A nurse on the rota: rung in `position` order, within their own hours. The number is
    shown to staff only by its last digits and never logged."""

    __tablename__ = "nurses"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME))
    number: Mapped[str] = mapped_column(String(NUMBER))
    hours: Mapped[str] = mapped_column(String(HOURS))
    # "Off today" keeps the nurse on the rota and off it until this date.
    off_until: Mapped[dt.date | None] = mapped_column(Date)
    position: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


# A nurse has at most one live leg: the database itself stops two calls ringing one nurse.
_ONE_LIVE_LEG = text("ended_at IS NULL")


class NurseLeg(Base):
    """A nurse rung for a call: live from ringing until the call to them ends (the dial's
    outcome, or the status callback of their leg)."""

    __tablename__ = "nurse_legs"
    __table_args__ = (
        Index(
            "uq_nurse_legs_live",
            "nurse_key",
            unique=True,
            sqlite_where=_ONE_LIVE_LEG,
            postgresql_where=_ONE_LIVE_LEG,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(SID), index=True)
    nurse_key: Mapped[str] = mapped_column(String(NURSE_KEY))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(STATUS))


class QueueEntry(Base):
    """A caller waiting for a nurse, from joining the queue to leaving it (and how)."""

    __tablename__ = "queue_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(SID), unique=True)
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    listening_to: Mapped[str] = mapped_column(String(LISTENING_TO))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    # The call's state, for the whisper and the ring when a nurse is free.
    state: Mapped[str] = mapped_column(String(STATE))
    # What the caller left the wait for, between the key (or a free nurse) and the queue's
    # action: a nurse's key, "callback" or "guidance".
    leaving_for: Mapped[str | None] = mapped_column(String(NURSE_KEY))
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    left_how: Mapped[str | None] = mapped_column(String(STATUS))
    announced: Mapped[int] = mapped_column(default=0)
    practice: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    # The caller's language, shown to staff beside the queue; None: not known.
    language: Mapped[str | None] = mapped_column(String(LANGUAGE))


class Voicemail(Base):
    """A message a caller left when no nurse could answer; its recording stays at Twilio.

    The row exists from the <Record> action on; the recording's details come with Twilio's
    recording status callback, which may come later. Done ones are deleted after the retention
    period, the recording at Twilio first (`deleted_at` says that part is done).
    """

    __tablename__ = "voicemails"
    __table_args__ = (
        # A recording is deleted at Twilio only once its voicemail is done.
        CheckConstraint("deleted_at IS NULL OR done_at IS NOT NULL", name="deleted_when_done"),
        # Twilio may send a recording's status callback again: it never makes a second row.
        UniqueConstraint("recording_sid", name="uq_voicemails_recording_sid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(SID), index=True)
    recording_sid: Mapped[str | None] = mapped_column(String(SID))
    # Twilio's address for the recording, without an extension (a few hundred characters).
    recording_url: Mapped[str | None] = mapped_column(String(300))
    duration_seconds: Mapped[int | None]
    listening_to: Mapped[str] = mapped_column(String(LISTENING_TO))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Left on a practice call: its recording is a stand-in, never one at Twilio.
    practice: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)


TEXT_KIND = 40  # a text's id in prompts/<language>/texts.yaml


class TextMessage(Base):
    """A text a caller asked for: of which kind, on which call, and how its delivery went.
    Never the number it went to: that is used to send it and not kept."""

    __tablename__ = "texts"
    __table_args__ = (
        # The database itself sends each kind at most once a call.
        UniqueConstraint("call_sid", "kind", name="uq_texts_call_sid_kind"),
        UniqueConstraint("message_sid", name="uq_texts_message_sid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(SID), index=True)
    kind: Mapped[str] = mapped_column(String(TEXT_KIND))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    # Twilio's id for the message (SM...), once it took it; None if it never did.
    message_sid: Mapped[str | None] = mapped_column(String(SID))
    # Twilio's MessageStatus (queued, sent, delivered, undelivered, failed), or not-sent.
    status: Mapped[str] = mapped_column(String(STATUS))


class TextAllowance(Base):
    """How many texts a number was sent on a day, so the line cannot be used to flood a phone.
    The number is kept only as a keyed hash of it and the day: no two days' rows can be joined,
    nor a row to a call."""

    __tablename__ = "text_allowances"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    number_hash: Mapped[str] = mapped_column(String(HASH), unique=True)
    sent: Mapped[int]


class FeedbackAnswer(Base):
    """Whether a call helped, kept with the part it followed and never with the call or a
    number: each time the question is asked (helped None), and each answer (True or False)."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    part: Mapped[str] = mapped_column(String(NODE))
    helped: Mapped[bool | None] = mapped_column(Boolean)
    practice: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
