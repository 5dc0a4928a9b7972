"""Check a loaded flow and its prompts as a whole: every problem with file, node and a fix."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping

from ivr.content.graph import keys_into, menu_depths, shortest_paths
from ivr.content.model import (
    BACK_WORDS,
    LANGUAGE,
    LAST_RESORT_SAFETY,
    MAIN_MENU_KEY,
    MAIN_MENU_PROMPT,
    MAIN_MENU_WORDS,
    NURSE_LINE,
    OPENS,
    OPERATOR_WORDS,
    REPEAT_WORDS,
    SAFETY_PROMPT,
    SYSTEM_PROMPTS,
    CallbackNode,
    ChoiceNode,
    Flow,
    InfoNode,
    MenuNode,
    Node,
    PromptBook,
    QuestionNode,
    SummaryNode,
    TransferNode,
    is_nurse_line,
)
from ivr.content.problems import Problem, ProblemList
from ivr.content.readability import (
    MAX_AVERAGE_SENTENCE,
    MIN_READING_EASE,
    measure,
    seconds_to_say,
    word_count,
)
from ivr.content.services import Service
from ivr.content.wording import sentences

# Every named rule, as `ivr check --rules` lists them: a problem says which one it breaks.
RULES: Mapping[str, str] = {
    "safety-message": "Safety advice is one message, safety.message: played in the welcome, "
    "wherever no nurse can take the call and when a call back fails; no other prompt gives "
    "safety advice; the Fallback's last resort says it word for word.",
    "say-as": "What the voice says has numbers, and names it gets wrong (data/wording), in "
    "words: 999 as 'nine nine nine', Llais as the voice can say it.",
    "honest-hours": "No prompt promises a person at any time; only {nurse_hours} says when "
    "the nurses are there.",
    "open-or-closed": "No sentence says a line is open and closed, whatever NURSE_LINE_HOURS is.",
    "opens-line": "opens.<line> names the nurse line, or a service with known hours.",
    "service-source": "Each service in data/services.yaml cites its own page (https) and the "
    "date its number was checked.",
    "service-dial": "A service callers are put through to has a number, known hours and a "
    "checked number; the helpline rings it only while it is open and checked in the last year.",
    "main-menu-key": f"The main menu is on {MAIN_MENU_KEY} everywhere: no option leads to it, "
    f"every block's choices end with {MAIN_MENU_PROMPT}, no prompt gives it another key.",
    "put-through-apart": "Putting a caller through to a service is an option of its own, "
    "offered by its own prompt, never on the main menu's key nor on a key that leads into the "
    "block (a key pressed twice must not ring someone).",
    "callback-privacy": "A callback node says how a number is kept (privacy:) before the "
    "caller gives one.",
    "walk-summary": "The walk-through's summary gives advice for each yes (the reason, then "
    "what may help) and says something after the answers (after:).",
    "labels-lead-there": "Every word of a choice ('To hear X, press 1.') is said, or is the "
    "title, where it leads (ivr check only).",
    "labels-apart": "No two choices in one block share a two-word phrase (ivr check only).",
    "avoid-phrase": "Prompts avoid the phrases data/wording lists, each with what to say "
    "instead (ivr check only).",
    "readability": "Prompts of 12 words or more have a reading ease of 60 or more and "
    "sentences of 15 words or fewer on average (ivr check only).",
    "options": "Options are numbered 1 to 4 with no gaps, each with words of its own, and the "
    "prompts say every key.",
    "length": "A menu takes under 20 s to say, a block under 60 s.",
    "welcome-keys": "The welcome tells callers the keys that work everywhere.",
    "entry-codes": "Every part reached by keys has an entry code of its own.",
    "graph": "Every node is known, reachable, within 3 menus of the start, with a way on.",
    "prompt-use": "Every prompt exists where it is played, and is played somewhere.",
    "answers": "The summary covers every answer the walk-through records.",
    "review-date": "The guidance is within its review date.",
    "service-checked": "A service's number was checked in the last 12 months.",
}

MAX_OPTIONS = 4
UK_NUMBER_DIGITS = 11  # a number read back to the caller, one word a digit
MAX_DEPTH = 3
MAX_MENU_SECONDS = 20.0
MAX_BLOCK_SECONDS = 60.0
GLOBAL_WORDS = frozenset(OPERATOR_WORDS + REPEAT_WORDS + BACK_WORDS + MAIN_MENU_WORDS)
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _problem(node: Node, message: str, hint: str, warning: bool = False, rule: str = "") -> Problem:
    assert not rule or rule in RULES, rule
    return Problem(node.file, node.line, message, hint, node.id, warning, rule)


def _suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f"did you mean {close[0]!r}?" if close else "add it, or point to an existing one"


def check_flow(flow: Flow, prompts: PromptBook, problems: ProblemList) -> None:
    """Run every check on the flow; problems are added, nothing is raised."""
    _check_settings(flow, problems)
    for node in flow.nodes.values():
        _check_known(node, node.targets(), flow.nodes, "leads to unknown node", problems)
        played = [p for p in node.prompt_ids() if not p.startswith(OPENS)]
        _check_known(node, played, prompts.prompts, "plays unknown prompt", problems)
        if node.targets() and not [t for t in node.targets() if t != node.id]:
            problems.add(
                _problem(
                    node,
                    "has no way on: every choice leads back to itself",
                    "add an option that leads to another part",
                    rule="graph",
                )
            )
        if isinstance(node, ChoiceNode):
            _check_options(node, prompts, problems)
        if isinstance(node, QuestionNode):
            _check_says_keys(node, ("1", "2"), prompts, problems)
        if isinstance(node, CallbackNode) and not node.privacy:
            problems.add(
                _problem(
                    node,
                    "takes a number without saying how it is kept",
                    "add `privacy: callback.kept`: how long the number is kept, said first",
                    rule="callback-privacy",
                )
            )
        _check_length(node, prompts, problems)
    _check_answers(flow, problems)
    _check_summary(flow, prompts, problems)
    _check_welcome(flow, prompts, problems)
    _check_safety(flow, prompts, problems)
    _check_main_menu(flow, prompts, problems)
    _check_put_through(flow, problems)
    _check_codes(flow, problems)
    _check_prompt_use(flow, prompts, problems)
    _check_graph(flow, problems)


def _check_known(
    node: Node,
    names: Iterable[str],
    known: Mapping[str, object],
    what: str,
    problems: ProblemList,
) -> None:
    """Each name must exist; a problem points at the line the name is written on."""
    for name in names:
        if name not in known:
            line = _where(name, node.file)[1] or node.line  # strings from YAML know their line
            # The sentences opens.<line> stands for are made, not written: never suggested.
            names = (k for k in known if not k.startswith(OPENS) or k.count(".") == 1)
            problems.add(
                Problem(
                    node.file,
                    line,
                    f"{what} {name!r}",
                    _suggest(name, names),
                    node.id,
                    rule="graph" if what.startswith("leads") else "prompt-use",
                )
            )


def _check_settings(flow: Flow, problems: ProblemList) -> None:
    start, operator = flow.node(flow.start), flow.node(flow.operator)
    if not isinstance(start, MenuNode):
        problems.add(
            Problem(
                *_where(flow.start, "flows"),
                f"start {flow.start!r} is not a menu node",
                _suggest(flow.start, flow.nodes) if start is None else "make the first node a menu",
                rule="graph",
            )
        )
    if not isinstance(operator, TransferNode):
        problems.add(
            Problem(
                *_where(flow.operator, "flows"),
                f"operator {flow.operator!r} is not a transfer node",
                "point `operator:` at the nurse line's transfer node",
                rule="graph",
            )
        )


def _check_options(node: ChoiceNode, prompts: PromptBook, problems: ProblemList) -> None:
    keys = [option.key for option in node.options]
    expected = [str(n) for n in range(1, len(keys) + 1)]
    if keys != expected:
        problems.add(
            _problem(
                node,
                f"numbers its options {', '.join(keys)}",
                f"number them {', '.join(expected)} with no gaps",
                rule="options",
            )
        )
    if len(keys) > MAX_OPTIONS:
        problems.add(
            _problem(
                node,
                f"has {len(keys)} numbered options",
                f"keep to {MAX_OPTIONS}: split the menu or move some options",
                rule="options",
            )
        )
    seen: dict[str, str] = {}
    for option in node.options:
        for word in option.words:
            if word in GLOBAL_WORDS:
                problems.add(
                    _problem(
                        node,
                        f"option {option.key} uses the word {word!r}, which works everywhere",
                        "choose other words",
                        rule="options",
                    )
                )
            elif word in seen and seen[word] != option.key:
                problems.add(
                    _problem(
                        node,
                        f"options {seen[word]} and {option.key} both use the word {word!r}",
                        "give each option its own words",
                        rule="options",
                    )
                )
            seen[word] = option.key
    _check_says_keys(node, keys, prompts, problems)


def _written_text(node: Node, prompts: PromptBook) -> str:
    return " ".join(prompts[p].text for p in node.prompt_ids() if p in prompts)


def _said_text(node: Node, prompts: PromptBook) -> str:
    """What the voice says: spoken forms, where numbers read digit by digit take longer."""
    return " ".join(prompts[p].spoken for p in node.prompt_ids() if p in prompts)


def _where(value: object, fallback: str) -> tuple[str, int]:
    """The file and line a setting was written on (strings from YAML remember them)."""
    return getattr(value, "file", fallback), getattr(value, "line", 0)


def _check_says_keys(
    node: Node, keys: Iterable[str], prompts: PromptBook, problems: ProblemList
) -> None:
    """The prompts must tell the caller each key: 'To hear X, press 1.'"""
    text = _written_text(node, prompts).lower()
    for key in keys:
        if not re.search(rf"\bpress ({key}|{_NUMBER_WORDS[int(key)]})\b", text):
            problems.add(
                _problem(
                    node,
                    f"never tells the caller to press {key}",
                    f'say the goal, then the key: "To hear ..., press {key}."',
                    rule="options",
                )
            )


def _check_length(node: Node, prompts: PromptBook, problems: ProblemList) -> None:
    words = word_count(_said_text(node, prompts))
    if isinstance(node, SummaryNode):
        # The longest it can be: every answer a yes (or none), never both.
        def said(ids: Iterable[str]) -> int:
            return word_count(" ".join(prompts[p].spoken for p in ids if p in prompts))

        answers = max(said(p for _, p in node.answers), said((node.none,)))
        words = said((*node.say, *node.after, *node.then)) + answers
    if isinstance(node, CallbackNode):
        # Its first question, the longest: the caller's own number read back, to confirm.
        first = (*node.say, node.privacy, "callback.own", "callback.own_confirm")
        words = word_count(" ".join(prompts[p].spoken for p in first if p in prompts))
        words += UK_NUMBER_DIGITS
    seconds = seconds_to_say(words)
    limit = MAX_MENU_SECONDS if isinstance(node, MenuNode) else MAX_BLOCK_SECONDS
    if seconds > limit:
        what = "menu" if isinstance(node, MenuNode) else "block"
        problems.add(
            _problem(
                node,
                f"takes about {seconds:.0f} s to say ({words} words)",
                f'keep a {what} under {limit:.0f} s: split it, with "to hear more, press 1"',
                rule="length",
            )
        )


# The keys that work everywhere are announced once, at the start (the standards page).
WELCOME_KEYS = {"0": "press 0", "*": "press star", "#": "press hash", "9": "press 9"}


def _check_welcome(flow: Flow, prompts: PromptBook, problems: ProblemList) -> None:
    text = " ".join(prompts[p].text for p in flow.welcome if p in prompts).lower()
    for key, said in WELCOME_KEYS.items():
        if said not in text:
            problems.add(
                Problem(
                    *_where(flow.welcome[0] if flow.welcome else "", "flows"),
                    f"the welcome never tells callers the {key} key",
                    f'announce it once at the start: "..., {said}."',
                    rule="welcome-keys",
                )
            )


def _check_codes(flow: Flow, problems: ProblemList) -> None:
    """Each part a caller reaches by keys has its own entry code, for staff to send callers to."""
    seen: dict[str, str] = {}
    if flow.start not in flow.nodes:
        return  # reported already
    for node_id, path in shortest_paths(flow).items():
        node = flow.nodes[node_id]
        by_keys = not any(isinstance(flow.nodes[n], TransferNode | CallbackNode) for n in path)
        if not node.code and by_keys and isinstance(node, MenuNode | InfoNode):
            problems.add(
                _problem(
                    node,
                    "has no entry code, so staff cannot send callers straight here",
                    'give it one of its own: code: "47" (2 or 3 digits, never reused)',
                    warning=True,
                    rule="entry-codes",
                )
            )
    for node in flow.nodes.values():
        if node.code in seen:
            problems.add(
                _problem(
                    node,
                    f"has entry code {node.code}, as {seen[node.code]} has",
                    "give each part its own code",
                    rule="entry-codes",
                )
            )
        elif node.code:
            seen[node.code] = node.id


def _check_answers(flow: Flow, problems: ProblemList) -> None:
    recorded = {n.records for n in flow.nodes.values() if isinstance(n, QuestionNode)}
    for node in flow.nodes.values():
        if isinstance(node, SummaryNode):
            for answer, _ in node.answers:
                if answer not in recorded:
                    problems.add(
                        _problem(
                            node,
                            f"summarises answer {answer!r}, which no question records",
                            _suggest(answer, recorded),
                            rule="answers",
                        )
                    )
            summarised = {a for a, _ in node.answers}
            for answer in sorted(recorded - summarised):
                problems.add(
                    _problem(
                        node,
                        f"does not summarise answer {answer!r}",
                        f"add {answer}: <prompt id> under answers",
                        rule="answers",
                    )
                )


def _check_prompt_use(flow: Flow, prompts: PromptBook, problems: ProblemList) -> None:
    used = set(flow.welcome) | set(SYSTEM_PROMPTS)
    for node in flow.nodes.values():
        used.update(node.prompt_ids())
    for prompt_id in flow.welcome:
        if prompt_id not in prompts:
            problems.add(
                Problem(
                    *_where(prompt_id, "flows"),
                    f"welcome plays unknown prompt {prompt_id!r}",
                    _suggest(prompt_id, prompts.prompts),
                    rule="prompt-use",
                )
            )
    for prompt_id, why in SYSTEM_PROMPTS.items():
        if prompt_id not in prompts:
            problems.add(
                Problem(
                    "prompts",
                    0,
                    f"missing prompt {prompt_id} (said {why})",
                    f"add it to prompts/{LANGUAGE}/{prompt_id.split('.')[0]}.yaml",
                    rule="prompt-use",
                )
            )
    for prompt in prompts.prompts.values():
        # The sentences that say when a line opens are played in place of opens.<line>.
        if prompt.id not in used and not prompt.id.startswith(OPENS):
            problems.add(
                Problem(
                    prompt.file,
                    prompt.line,
                    f"prompt {prompt.id} is never played",
                    "use it in a flow node, or delete it",
                    rule="prompt-use",
                )
            )


def check_readability(prompts: PromptBook, problems: ProblemList) -> None:
    """Every prompt long enough to score must be easy to follow."""
    for prompt in prompts.prompts.values():
        score = measure(prompt.text)
        if score.passes:
            continue
        problems.add(
            Problem(
                prompt.file,
                prompt.line,
                f"prompt {prompt.id} is hard to follow: reading ease {score.reading_ease:.0f} "
                f"(at least {MIN_READING_EASE:.0f}), {score.average_sentence:.1f} words a "
                f"sentence (at most {MAX_AVERAGE_SENTENCE:.0f})",
                "use shorter words and sentences, one idea each",
                rule="readability",
            )
        )


def check_review_date(flow: Flow, today: dt.date, problems: ProblemList) -> None:
    """Warn when the guidance the line speaks is past its review date."""
    if today >= flow.guidance.next_review:
        problems.add(
            Problem(
                flow.guidance.file,
                flow.guidance.line,
                f"the guidance was due for review on {flow.guidance.next_review}",
                "check the content against the current guidance and update `guidance:` dates",
                warning=True,
                rule="review-date",
            )
        )


# ---------------------------------------------------------------- the graph


def _check_graph(flow: Flow, problems: ProblemList) -> None:
    if flow.start not in flow.nodes:
        return
    depths = menu_depths(flow)
    for node in flow.nodes.values():
        if node.id not in depths:
            problems.add(
                _problem(
                    node,
                    "cannot be reached from the start",
                    "add an option that leads here, or delete the node",
                    rule="graph",
                )
            )
        elif depths[node.id] > MAX_DEPTH:
            problems.add(
                _problem(
                    node,
                    f"is {depths[node.id]} menus below the start",
                    f"keep every part within {MAX_DEPTH} menus of the start",
                    rule="graph",
                )
            )


def check_transfers(flow: Flow, services: Mapping[str, Service], problems: ProblemList) -> None:
    """A transfer rings the nurse line, or a service that can be rung; opens.<line> names one
    whose hours are known."""
    for node in flow.nodes.values():
        for prompt_id in node.prompt_ids():
            if prompt_id.startswith(OPENS):
                _check_opens(node, prompt_id, services, problems)
        if not isinstance(node, TransferNode) or node.rings_nurse:
            continue
        service = services.get(node.line_id)
        if service is None:
            problems.add(
                _problem(
                    node,
                    f"puts callers through to unknown {node.to!r}",
                    _suggest(node.line_id, services),
                    rule="service-dial",
                )
            )
            continue
        missing = [
            what
            for what, there in (
                ("no number", service.number),
                ("no known hours", service.hours),
                ("a number nobody has checked", service.checked),
            )
            if there is None
        ]
        if missing:
            problems.add(
                _problem(
                    node,
                    f"puts callers through to {node.to}, which has {' and '.join(missing)}",
                    "give the service its number, hours and the date someone checked them in "
                    "data/services.yaml; or give callers the number and remove this node",
                    rule="service-dial",
                )
            )


def _check_opens(
    node: Node, prompt_id: str, services: Mapping[str, Service], problems: ProblemList
) -> None:
    line = prompt_id.removeprefix(OPENS)
    service = services.get(line)
    if is_nurse_line(line) or (service is not None and service.hours is not None):
        return
    why = "has no known hours" if service is not None else "is not a line"
    problems.add(
        Problem(
            *_where(prompt_id, node.file),
            f"{prompt_id} says when {line} opens, but {line} {why}",
            f"write opens.{NURSE_LINE}, or opens.<service> for a service with hours in "
            "data/services.yaml",
            node.id,
            rule="opens-line",
        )
    )


# ---------------------------------------------------------------- what callers hear, by design


def _check_safety(flow: Flow, prompts: PromptBook, problems: ProblemList) -> None:
    """The one safety message is played wherever safety is said, and the last resort says it."""
    if SAFETY_PROMPT not in flow.welcome:
        problems.add(
            Problem(
                *_where(flow.welcome[0] if flow.welcome else "", "flows"),
                f"the welcome does not play {SAFETY_PROMPT}",
                f"add {SAFETY_PROMPT} to `welcome:`, after the greeting",
                rule="safety-message",
            )
        )
    operator = flow.nodes.get(flow.operator)
    needing: list[tuple[str, str]] = []
    if isinstance(operator, TransferNode):
        needing += [
            (operator.closed, "the nurse line is closed"),
            (operator.unavailable, "no nurse is free"),
        ]
    needing += [
        (n.failed, "a call back could not be booked")
        for n in flow.nodes.values()
        if isinstance(n, CallbackNode)
    ]
    for node_id, when in needing:
        node = flow.nodes.get(node_id)
        if node is not None and SAFETY_PROMPT not in node.say:
            problems.add(
                _problem(
                    node,
                    f"is where callers hear that {when}, and does not play {SAFETY_PROMPT}",
                    f"add {SAFETY_PROMPT} to its `say:`",
                    rule="safety-message",
                )
            )
    if SAFETY_PROMPT in prompts and prompts[SAFETY_PROMPT].spoken != LAST_RESORT_SAFETY:
        safety = prompts[SAFETY_PROMPT]
        problems.add(
            Problem(
                safety.file,
                safety.line,
                f"{SAFETY_PROMPT} is not what the Fallback URL says when even the prompts "
                "cannot be read (LAST_RESORT_SAFETY in ivr/content/model.py)",
                "change both together, word for word: the spoken form and LAST_RESORT_SAFETY",
                rule="safety-message",
            )
        )


def _check_main_menu(flow: Flow, prompts: PromptBook, problems: ProblemList) -> None:
    """The main menu is on one key everywhere, and every block says so."""
    for node in flow.nodes.values():
        if not isinstance(node, ChoiceNode):
            continue
        for option in node.options:
            if option.to == flow.start:
                problems.add(
                    Problem(
                        *_where(option.to, node.file),
                        f"option {option.key} leads to the main menu, which is on "
                        f"{MAIN_MENU_KEY} everywhere",
                        f"remove the option: {MAIN_MENU_KEY} does this, and {MAIN_MENU_PROMPT} "
                        "says so",
                        node.id,
                        rule="main-menu-key",
                    )
                )
        said = node.said_choices()
        if isinstance(node, InfoNode | SummaryNode) and said[-1:] != (MAIN_MENU_PROMPT,):
            problems.add(
                _problem(
                    node,
                    f"never tells the caller that {MAIN_MENU_KEY} is the main menu"
                    if MAIN_MENU_PROMPT not in said
                    else f"says {MAIN_MENU_PROMPT} before its other choices",
                    f"end its choices with {MAIN_MENU_PROMPT}",
                    rule="main-menu-key",
                )
            )
    text = prompts[MAIN_MENU_PROMPT].text.lower() if MAIN_MENU_PROMPT in prompts else ""
    if text and not re.search(rf"\bpress {MAIN_MENU_KEY}\b", text):
        main = prompts[MAIN_MENU_PROMPT]
        problems.add(
            Problem(
                main.file,
                main.line,
                f"{MAIN_MENU_PROMPT} does not say press {MAIN_MENU_KEY}",
                f'say "For the main menu, press {MAIN_MENU_KEY}."',
                rule="main-menu-key",
            )
        )


def _check_put_through(flow: Flow, problems: ProblemList) -> None:
    """Ringing an outside service is its own choice, offered, on a key nothing else shares."""
    into = keys_into(flow)
    for node in flow.nodes.values():
        if not isinstance(node, ChoiceNode):
            continue
        for option in node.options:
            target = flow.nodes.get(option.to)
            rings = isinstance(target, TransferNode) and not target.rings_nurse
            if option.offer and not rings:
                problems.add(
                    _problem(
                        node,
                        f"option {option.key} has an offer but does not put callers through",
                        "remove `offer:`; it is for options that lead to a service's transfer",
                        rule="put-through-apart",
                    )
                )
            if not rings:
                continue
            why = []
            if not option.offer:
                why.append("it has no `offer:` prompt of its own")
            elif option.offer not in node.said_choices():
                why.append(f"its offer {option.offer} is not among the node's choices")
            if option.key == MAIN_MENU_KEY:
                why.append(f"{MAIN_MENU_KEY} is the main menu")
            if option.key in into.get(node.id, set()):
                why.append(f"{option.key} is also the key that leads here")
            if why:
                problems.add(
                    _problem(
                        node,
                        f"option {option.key} puts callers through to {option.to}, but "
                        + "; ".join(why),
                        "give it `offer:` (a prompt of its own, listed in `choices:`) and a key "
                        "no way into this block uses",
                        rule="put-through-apart",
                    )
                )


def _check_summary(flow: Flow, prompts: PromptBook, problems: ProblemList) -> None:
    """The summary gives advice for each yes (the reason, then what helps) and what comes after."""
    for node in flow.nodes.values():
        if not isinstance(node, SummaryNode):
            continue
        if not node.after:
            problems.add(
                _problem(
                    node,
                    "says nothing after the answers",
                    "add `after:` with what to weigh whatever the answers (a second opinion "
                    "can delay treatment)",
                    rule="walk-summary",
                )
            )
        for answer, prompt_id in node.answers:
            if prompt_id in prompts and len(sentences(prompts[prompt_id].text)) < 2:
                problems.add(
                    _problem(
                        node,
                        f"only reads back the answer {answer!r} ({prompt_id})",
                        "say the reason, then what may help with it, in a second sentence",
                        rule="walk-summary",
                    )
                )
