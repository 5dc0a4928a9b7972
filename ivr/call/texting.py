"""Follow-up by text: where the flow says (`texts:`), a caller on a UK mobile is offered a text
of what they cannot write down, on the key after the part's options. One key sends it; nothing
is sent without it, and each kind at most once a call. No Flask or Twilio here: the sending is
the TextSender's (ivr.webhooks.messaging), which also keeps the daily limit for a number."""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from ivr.call.state import CallState
from ivr.call.steps import Caller
from ivr.content.model import MAIN_MENU_PROMPT, ChoiceNode, Flow, Node, text_key, text_offer
from ivr.numbers import is_uk_mobile

# The header of a webhook's answer that shows the practice phone the text a practice call would
# have been sent (percent-encoded UTF-8); real calls never have it.
PRACTICE_TEXT_HEADER = "X-Practice-Would-Send"
SENT = "texting.sent"
FAILED = "texting.failed"


class TextSender(Protocol):
    """Sends a caller the text of a kind, in their language; says whether it went. A practice
    call's text is shown, never sent. It never raises: a failure is False."""

    def can_send(self, practice: bool) -> bool:
        """Whether texts can be sent now (practice calls: whether they can be shown)."""
        ...

    def send_text(self, caller: Caller, kind: str, language: str) -> bool: ...


class Texting:
    """Which parts offer a text, on which key, to whom; and what pressing it does."""

    def __init__(self, flow: Flow, sender: TextSender | None) -> None:
        self.sender = sender
        # The key each part offers its text on: the one after its options.
        self.keys = {
            node_id: text_key(node)
            for node_id in flow.texts
            if isinstance(node := flow.nodes.get(node_id), ChoiceNode)
        }
        self.kinds = dict(flow.texts)

    def offered(self, state: CallState, node: Node, caller: Caller) -> str | None:
        """The key the text is offered on here, or None: only with a sender, on a UK mobile
        (the practice phones play as one, and never send), once a call for each kind."""
        key = self.keys.get(node.id)
        if key is None or self.sender is None or self.kinds[node.id] in state.texted:
            return None
        if not self.sender.can_send(caller.practice):
            return None
        if not (caller.practice or is_uk_mobile(caller.number)):
            return None
        return key

    def with_offer(
        self, prompts: tuple[str, ...], state: CallState, node: Node, caller: Caller
    ) -> tuple[str, ...]:
        """The part's prompts with the offer among its choices, before the main menu's key."""
        key = self.offered(state, node, caller)
        if key is None:
            return prompts
        at = (
            len(prompts) - 1 - prompts[::-1].index(MAIN_MENU_PROMPT)
            if (MAIN_MENU_PROMPT in prompts)
            else len(prompts)
        )
        return (*prompts[:at], text_offer(key), *prompts[at:])

    def press(
        self, state: CallState, node: Node, key: str, caller: Caller
    ) -> tuple[CallState, tuple[str, ...], bool] | None:
        """The text's key: send it. The state after (the kind marked sent, whether it went or
        not, so it is offered once), what to say first, and whether to play the whole part again
        (after a failure: "here it is again"). None where the key offers no text here."""
        if self.offered(state, node, caller) != key:
            return None
        assert self.sender is not None  # offered() says there is one
        kind = self.kinds[node.id]
        sent = self.sender.send_text(caller, kind, state.language)
        after = replace(state, texted=(*state.texted, kind), silences=0, wrong=0)
        return (after, (SENT,), False) if sent else (after, (FAILED,), True)
