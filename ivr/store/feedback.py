"""Whether calls helped: each question asked and each answer, by the part it followed, queued
in the journal (it never waits, never raises), and counted for the staff dashboard. Practice
calls are kept apart and never counted; nothing ties an answer to a call or a number."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import case, delete, func, select

from ivr.store.connection import Database
from ivr.store.journal import FeedbackNoted, Journal
from ivr.store.tables import FeedbackAnswer

log = logging.getLogger("ivr.store")


@dataclass(frozen=True)
class Helped:
    """The question of whether a call helped, at the end of one part: how often it was asked,
    answered (1 or 2, not skipped), and answered yes."""

    part: str
    asked: int
    answered: int
    said_yes: int


class FeedbackLog(Database):
    """The Store's answers to whether a call helped."""

    journal: Journal  # made by the Store, with the engine

    def feedback_asked(self, part: str, practice: bool) -> None:
        """The question was asked at the end of the part."""
        self._note(part, None, practice)

    def feedback_given(self, part: str, helped: bool, practice: bool) -> None:
        """The caller answered: the call helped (True) or did not (False)."""
        self._note(part, helped, practice)

    def _note(self, part: str, helped: bool | None, practice: bool) -> None:
        try:
            self.journal.put(FeedbackNoted(self.clock(), part, helped, practice))
        except Exception as error:  # an answer is never worth failing a call for
            log.warning("feedback not queued (%s)", type(error).__name__)

    def feedback_figures(self, since: dt.datetime) -> list[Helped]:
        """Per part, since then: asked, answered and yes, most asked first; real calls only.
        StoreUnavailable if the database cannot say."""
        answered = func.count(FeedbackAnswer.helped)
        asked = func.count(FeedbackAnswer.id) - answered
        said_yes = func.sum(case((FeedbackAnswer.helped.is_(True), 1), else_=0))
        query = (
            select(FeedbackAnswer.part, asked, answered, said_yes)
            .where(FeedbackAnswer.at >= since, FeedbackAnswer.practice.is_(False))
            .group_by(FeedbackAnswer.part)
        )
        with self._database("counting answers"), self.engine.connect() as connection:
            rows = connection.execute(query).all()
        found = [Helped(str(p), int(a), int(n), int(y or 0)) for p, a, n, y in rows]
        return sorted(found, key=lambda h: (-h.asked, h.part))

    def purge_feedback(self, now: dt.datetime, retention_days: int) -> int:
        """Delete answers older than the retention period; how many went."""
        cutoff = now - dt.timedelta(days=retention_days)
        with self._database("purging answers"), self.engine.begin() as connection:
            self._maintenance(connection)
            return connection.execute(
                delete(FeedbackAnswer).where(FeedbackAnswer.at < cutoff)
            ).rowcount
