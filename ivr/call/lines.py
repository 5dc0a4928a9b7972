"""The lines callers are put through to (the nurse line and the services): whether each can be
rung now, and when a closed one opens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from ivr.call.team import Team
from ivr.content.hours import Hours, next_opening
from ivr.content.model import OPENS, Flow, TransferNode, is_opens_slot
from ivr.content.services import Service, line_hours


class Lines:
    """The nurse line and the services, by the clock the engine goes by."""

    def __init__(
        self,
        flow: Flow,
        nurse_hours: Hours,
        team: Team,
        services: Mapping[str, Service],
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.flow = flow
        self.nurse_hours = nurse_hours
        self.team = team
        self.services = services
        self.clock = clock

    def service_number(self, node: TransferNode) -> str:
        """The number a transfer node to a service rings (one that can_ring has one)."""
        number = self.services[node.line_id].number
        assert number is not None  # can_ring says there is one
        return number

    def rings_service(self, node_id: str) -> bool:
        """Whether the node puts the caller through to an outside service."""
        node = self.flow.nodes.get(node_id)
        return isinstance(node, TransferNode) and not node.rings_nurse

    def closed_by_hours(self, node: TransferNode) -> bool:
        """Whether the line's own hours say it is closed now (so callers can be told so)."""
        hours = line_hours(node.line_id, self.nurse_hours, self.services)
        return hours is not None and not hours.is_open(self.clock())

    def can_ring(self, node: TransferNode) -> bool:
        """The line can be rung now: the nurse line when open with a nurse on duty (free, or
        on a call, when the caller may wait in the queue); a service only when its number is
        checked, its hours known and it is open (never on a guess)."""
        now = self.clock()
        if node.rings_nurse:
            return self.nurse_hours.is_open(now) and bool(self.team.on_duty())
        service = self.services.get(node.line_id)
        return service is not None and service.can_ring(now)

    def resolved(self, prompt_ids: tuple[str, ...]) -> tuple[str, ...]:
        """opens.<line> becomes the sentence for when that line opens next, or nothing."""
        result = []
        for prompt_id in prompt_ids:
            if not is_opens_slot(prompt_id):
                result.append(prompt_id)
                continue
            line = prompt_id.removeprefix(OPENS)
            hours = line_hours(line, self.nurse_hours, self.services)
            opening = next_opening(hours, self.clock()) if hours is not None else None
            if opening is not None:
                result.append(opening.prompt_id(line))
        return tuple(result)
