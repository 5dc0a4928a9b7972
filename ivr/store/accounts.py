"""Staff accounts: signing in (Argon2 passwords, a throttle on wrong tries), sessions that end
on the server, and the API's bearer tokens."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import argon2
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ivr.store.connection import Database
from ivr.store.tables import NAME as NAME_LENGTH
from ivr.store.tables import ApiToken, SignInAttempt, StaffUser

TOKEN_PREFIX = "ivr_"
# Sign-in: Argon2 (argon2-cffi) for passwords; after 5 wrong tries a name waits 15 minutes.
_passwords = argon2.PasswordHasher()
MIN_PASSWORD = 12
MAX_FAILURES = 5
LOCK_MINUTES = 15
# And after 20 wrong tries from one client, whatever the names, that client waits as long:
# each try costs an Argon2 hash, which a stream of made-up names must not be able to buy.
MAX_CLIENT_FAILURES = 20
CLIENT = 64  # sign_in_attempts.client's length: an IPv6 /64 in full is 43 characters
# Tries are needed for the 15 minutes above; `ivr purge` deletes those older than a day.
SIGN_IN_ATTEMPTS_KEPT = dt.timedelta(days=1)


@dataclass(frozen=True)
class StaffSession:
    """A signed-in member of staff, as their session cookie holds them."""

    name: str
    stamp: str  # the account's session stamp when they signed in: a new one ends the session


class SignInRefused(enum.Enum):
    """Why a sign-in was refused."""

    WRONG = enum.auto()  # an unknown name or a wrong password, alike
    LOCKED = enum.auto()  # too many wrong passwords for the name lately
    THROTTLED = enum.auto()  # too many wrong tries from the client lately: nothing was hashed


#: What signing in gives: the session for a right name and password, or why not.
SignIn = StaffSession | SignInRefused


class StaffAccounts(Database):
    """The Store's staff accounts, their sessions and their API tokens."""

    def add_staff(self, name: str, password: str) -> None:
        """A new staff account; ValueError if the name is taken or the password too short."""
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
        row = {
            "name": name.strip(),
            "password_hash": _passwords.hash(password),
            "created_at": self.clock(),
            "session_stamp": _new_stamp(),
        }
        with self._database("adding staff"), self.engine.begin() as connection:
            try:
                connection.execute(insert(StaffUser).values(row))
            except IntegrityError:  # staff names are unique: the only constraint it can break
                raise ValueError(f"there is already a staff account called {name!r}") from None

    def sign_in(self, name: str, password: str, *, client: str) -> SignIn:
        """The session for a right name and password, or why not.

        `client` says who is trying (an address). After too many wrong tries lately from the
        client, or for the name, the try is refused before any hashing and not recorded; every
        other try is recorded.
        """
        name = name.strip()[:NAME_LENGTH]
        client = client[:CLIENT]
        now = self.clock()
        wrong_lately = (
            select(func.count())
            .select_from(SignInAttempt)
            .where(
                SignInAttempt.at >= now - dt.timedelta(minutes=LOCK_MINUTES),
                SignInAttempt.succeeded.is_(False),
            )
        )
        by_client = wrong_lately.where(SignInAttempt.client == client)
        by_name = wrong_lately.where(SignInAttempt.name == name)
        with self._database("signing in"), self.engine.begin() as connection:
            # The client first: it stops a stream of made-up names, each locked by none.
            if (connection.scalar(by_client) or 0) >= MAX_CLIENT_FAILURES:
                return SignInRefused.THROTTLED
            if (connection.scalar(by_name) or 0) >= MAX_FAILURES:
                return SignInRefused.LOCKED
            account = connection.execute(
                select(StaffUser.password_hash, StaffUser.session_stamp).where(
                    StaffUser.name == name
                )
            ).first()
            try:
                good = account is not None and _passwords.verify(account.password_hash, password)
            except argon2.exceptions.VerificationError:
                good = False
            if account is None:
                _passwords.hash(password)  # take as long as a real check: names are not revealed
            connection.execute(
                insert(SignInAttempt).values(name=name, at=now, succeeded=good, client=client)
            )
        if account is None or not good:
            return SignInRefused.WRONG
        return StaffSession(name, account.session_stamp)

    def still_signed_in(self, session: StaffSession) -> bool:
        """Whether a session is still good: not once its account has signed out, had its
        password changed, or been removed. Raises StoreUnavailable if it cannot be checked."""
        query = select(StaffUser.id).where(
            StaffUser.name == session.name, StaffUser.session_stamp == session.stamp
        )
        with self._database("checking a session"), self.engine.connect() as connection:
            return connection.scalar(query) is not None

    def end_sessions(self, name: str) -> bool:
        """End every session of the account NAME (signing out); False if there is no such one."""
        change = (
            update(StaffUser)
            .where(StaffUser.name == name.strip())
            .values(session_stamp=_new_stamp())
        )
        with self._database("ending sessions"), self.engine.begin() as connection:
            return connection.execute(change).rowcount == 1

    def set_password(self, name: str, password: str) -> None:
        """A new password for NAME, which ends every session of theirs; ValueError if there is
        no such account or the password is too short."""
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
        change = (
            update(StaffUser)
            .where(StaffUser.name == name.strip())
            .values(password_hash=_passwords.hash(password), session_stamp=_new_stamp())
        )
        with self._database("changing a password"), self.engine.begin() as connection:
            if connection.execute(change).rowcount != 1:
                raise ValueError(_no_account(name))

    def remove_staff(self, name: str) -> int:
        """Remove the account NAME, which ends its sessions and deletes its API tokens; how
        many tokens went. ValueError if there is no such account."""
        name = name.strip()
        with self._database("removing staff"), self.engine.begin() as connection:
            staff_id = connection.scalar(select(StaffUser.id).where(StaffUser.name == name))
            if staff_id is None:
                raise ValueError(_no_account(name))
            # By name too: a token made for the name while it had no account is not tied to it.
            tokens = connection.execute(
                delete(ApiToken).where((ApiToken.staff_id == staff_id) | (ApiToken.name == name))
            )
            connection.execute(delete(StaffUser).where(StaffUser.id == staff_id))
        return tokens.rowcount

    def purge_sign_in_attempts(self, now: dt.datetime) -> int:
        """Delete sign-in tries older than a day (they count for 15 minutes); how many went."""
        old = delete(SignInAttempt).where(SignInAttempt.at < now - SIGN_IN_ATTEMPTS_KEPT)
        with self._database("purging sign-in attempts"), self.engine.begin() as connection:
            self._maintenance(connection)
            return connection.execute(old).rowcount

    # --- staff API tokens ------------------------------------------------------------------

    def create_token(self, name: str, *, require_account: bool = False) -> str:
        """A new staff API token, returned once: only its SHA-256 is kept.

        It is tied to the account NAME, and goes when the account is removed. For a name
        without an account, ValueError if `require_account` (as `ivr staff token` asks);
        otherwise the token stands alone until revoked.
        """
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = {"name": name, "token_hash": _token_hash(token), "created_at": self.clock()}
        with self._database("creating a token"), self.engine.begin() as connection:
            staff_id = connection.scalar(select(StaffUser.id).where(StaffUser.name == name))
            if staff_id is None and require_account:
                raise ValueError(_no_account(name))
            connection.execute(insert(ApiToken).values({**row, "staff_id": staff_id}))
        return token

    def revoke_token(self, token: str) -> bool:
        """Delete a token, so that it works no more; False if it is not one we have."""
        gone = delete(ApiToken).where(ApiToken.token_hash == _token_hash(token.strip()))
        with self._database("revoking a token"), self.engine.begin() as connection:
            return connection.execute(gone).rowcount == 1

    def check_token(self, token: str) -> bool:
        """True if the token is one we made. Raises StoreUnavailable if it cannot be checked."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return False
        wanted = _token_hash(token)
        query = select(ApiToken.token_hash).where(ApiToken.token_hash == wanted)
        with self._database("checking a token"), self.engine.connect() as connection:
            found = connection.scalar(query)
        return found is not None and hmac.compare_digest(found, wanted)


def _new_stamp() -> str:
    """A new session stamp for an account: 128 random bits (StaffUser.session_stamp)."""
    return secrets.token_hex(16)


def _no_account(name: str) -> str:
    return f"there is no staff account called {name.strip()!r}"


def _token_hash(token: str) -> str:
    # A plain hash suffices: tokens are 256 random bits, so there is nothing to guess.
    return hashlib.sha256(token.encode()).hexdigest()
