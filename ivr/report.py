"""The summary `ivr check` prints: problems first, then what a caller can hear and how far away."""

from __future__ import annotations

import datetime as dt

from ivr.audio.library import AudioLibrary, words_per_minute
from ivr.call.engine import PUT_THROUGH_AFTER_SILENCES
from ivr.config import Settings
from ivr.content.checks import MAX_MENU_SECONDS
from ivr.content.graph import node_is_content, shortest_paths
from ivr.content.load import Content, collect_content
from ivr.content.model import (
    MAIN_MENU_KEY,
    NO_KEY,
    PACE_KEY,
    YES_KEY,
    ChoiceNode,
    MenuNode,
    Node,
    PromptBook,
    QuestionNode,
)
from ivr.content.readability import (
    MAX_AVERAGE_SENTENCE,
    MAX_AVERAGE_WORD,
    WORDS_PER_MINUTE,
    measure,
    seconds_to_say,
    uses_flesch,
    word_count,
)
from ivr.content.review import unreviewed_problem
from ivr.follow_up_report import follow_up_summary


def _node_words(content: Content, node: Node) -> int:
    # opens.<line> stands for one short sentence, chosen during the call: not counted.
    return sum(
        word_count(content.prompts[p].text) for p in node.prompt_ids() if p in content.prompts
    )


def content_report(settings: Settings, today: dt.date) -> tuple[str, bool]:
    """The text of the report, and whether the content passed."""
    content, problems = collect_content(
        settings.content_dir,
        settings.service_name,
        settings.nurse_line_hours,
        today,
        run_by=settings.run_by,
        retention_days=settings.retention_days,
        service_names=settings.service_names,
    )
    lines = [str(p) for p in problems.errors()] + [str(p) for p in problems.warnings()]
    if content is None:
        lines.append(f"\nFAILED: {len(problems.errors())} problem(s) in the call flow or prompts.")
        return "\n".join(lines), False
    lines += summary(content, settings)
    lines += language_summary(content, settings)
    lines += follow_up_summary(content, settings)
    audio_lines, failures = audio_summary(content, settings)
    lines += audio_lines
    if failures:
        lines += ["", *failures, f"\nFAILED: {len(failures)} problem(s) with the rendered audio."]
        return "\n".join(lines), False
    lines += ["", "OK: the content passes every check."]
    return "\n".join(lines), True


def summary(content: Content, settings: Settings) -> list[str]:
    """Counts, readability and the path to every part of the guidance."""
    flow, prompts = content.flow, content.prompts
    texts = [p.text for p in prompts.prompts.values()]
    scores = [measure(t) for t in texts if measure(t).scored]
    welcome = sum(word_count(prompts[p].text) for p in flow.welcome)
    paths = shortest_paths(flow)
    lines = [
        "",
        f"Nodes: {len(flow.nodes)}   Prompts: {len(prompts.prompts)}   "
        f"Words: {sum(word_count(t) for t in texts)}",
        f"Reading ease: lowest {min(s.reading_ease for s in scores):.0f}, "
        f"mean {sum(s.reading_ease for s in scores) / len(scores):.0f} "
        f"(over {len(scores)} prompts of 12+ words)",
        f"Guidance: {flow.guidance.source}; reviewed {flow.guidance.reviewed}, "
        f"next review {flow.guidance.next_review}",
        "",
        "Shortest way from the start to each part (key presses; words heard first if the caller",
        "listens to every prompt before pressing, welcome included):",
    ]
    rows = []
    for node_id, path in paths.items():
        node = flow.nodes[node_id]
        if not node_is_content(node):
            continue
        heard = welcome + sum(_node_words(content, flow.nodes[n]) for n in path[:-1])
        rows.append((len(path) - 1, heard, node_id, node.title))
    for presses, heard, node_id, title in sorted(rows, key=lambda r: (r[0], r[1])):
        lines.append(f"  {presses:>2} keys  {heard:>4} words  {node_id:<24} {title}")
    longest = max(rows, key=lambda r: (r[0], r[1]))
    first_menu = welcome + _node_words(content, flow.nodes[flow.start])
    # With no keys: the welcome and menu, a silence, the hint and menu again, a second silence,
    # the offer of a nurse, and the silence that takes it.
    again = word_count(prompts["system.no_input"].text) + _node_words(
        content, flow.nodes[flow.start]
    )
    offer = sum(
        word_count(prompts[p].text) for p in ("system.no_input_again", "system.put_through")
    )
    unaided = (
        seconds_to_say(first_menu + again + offer)
        + (PUT_THROUGH_AFTER_SILENCES + 1) * settings.gather_timeout
    )
    menus = sorted(
        (
            (seconds_to_say(_node_words(content, n)), n.id)
            for n in flow.nodes.values()
            if isinstance(n, MenuNode)
        ),
        reverse=True,
    )
    lines += [
        f"Longest: {longest[0]} key presses and {longest[1]} words, to {longest[2]}.",
        f"Longest menu: {menus[0][1]}, about {menus[0][0]:.0f} s (words at "
        f"{WORDS_PER_MINUTE} a minute; the audio below gives it as spoken).",
        "",
        f"The nurse line: key 0 from every node (1 key press). From the start: {first_menu} "
        "words if the caller listens to the whole welcome and menu first; with no keys at all, "
        f"after {PUT_THROUGH_AFTER_SILENCES} silences of {settings.gather_timeout} s and an "
        f"offer of a nurse (about {unaided:.0f} s).",
    ]
    return lines


def _menu_seconds(content: Content, book: PromptBook) -> dict[str, float]:
    """Each menu's prompts as spoken, estimated from their words."""
    return {
        node.id: seconds_to_say(sum(word_count(book[p].text) for p in node.say if p in book))
        for node in content.flow.nodes.values()
        if isinstance(node, MenuNode)
    }


def language_summary(content: Content, settings: Settings) -> list[str]:
    """Per language: prompts, words, sentence and word length, each menu's spoken length, the
    share a fluent speaker has reviewed and the rules skipped; loud for unreviewed text."""
    languages = content.languages
    first = languages.first
    offered = settings.languages or (first,)
    lines = [
        "",
        f"Languages (calls start in {first}; offered to callers: {', '.join(offered)}, "
        "as LANGUAGES says):",
    ]
    loud: list[str] = []
    for code, book in sorted(languages.prompts.items(), key=lambda item: item[0] != first):
        texts = [p.text for p in book.prompts.values()]
        scores = [s for s in (measure(t, code) for t in texts) if s.scored]
        sentences = [s.average_sentence for s in scores]
        lines.append(
            f"  {code}: {len(texts)} prompts, {sum(map(word_count, texts))} words; sentences "
            f"{sum(sentences) / len(sentences):.1f} words on average, at most "
            f"{max(sentences):.1f} in a prompt (limit {MAX_AVERAGE_SENTENCE:.0f})"
        )
        if uses_flesch(code):
            ease = [s.reading_ease for s in scores]
            lines.append(
                f"    reading ease lowest {min(ease):.0f}, mean {sum(ease) / len(ease):.0f}"
            )
        else:
            letters = [s.average_word for s in scores]
            lines.append(
                f"    {sum(letters) / len(letters):.1f} letters a word on average, at most "
                f"{max(letters):.1f} in a prompt (limit {MAX_AVERAGE_WORD:.0f}): Flesch reading "
                f"ease is for English, so {code} is held to sentence and word length"
            )
        for rule, why in content.skipped.get(code, {}).items():
            lines.append(f"    rule {rule} SKIPPED for {code}: {why}")
        review = content.reviews.get(code)
        if review is None:
            continue
        done, prompts, done_words, words = review.share()
        lines.append(
            f"    reviewed by a fluent {code} speaker: "
            f"{len(review.files) - len(review.unreviewed())} of {len(review.files)} files, "
            f"{done} of {prompts} prompts as written, hours' words too "
            f"({100 * done / max(prompts, 1):.0f}%), "
            f"{done_words} of {words} words ({100 * done_words / max(words, 1):.0f}%)"
        )
        loud += [
            f"{f.file}:{f.line}  {f.prompts} prompts, {f.words} words "
            f"({'marked none yet' if f.line else 'no review mark'})"
            for f in review.unreviewed()
        ]
        fix = unreviewed_problem(review.unreviewed()[0], code, True).hint if loud else ""
    seconds = {
        code: _menu_seconds(content, book)
        for code, book in sorted(languages.prompts.items(), key=lambda item: item[0] != first)
    }
    lines.append(
        f"  Each menu as spoken (words at {WORDS_PER_MINUTE} a minute; limit "
        f"{MAX_MENU_SECONDS:.0f} s): " + "  ".join(f"{code:>6}" for code in seconds)
    )
    for menu in seconds[first]:
        row = "  ".join(f"{seconds[code][menu]:>5.1f}s" for code in seconds)
        lines.append(f"    {menu:<36}  {row}")
    if loud:
        lines += [
            "",
            "WARNING: TEXT NO FLUENT SPEAKER HAS REVIEWED. Do not offer it to the public "
            "until it is reviewed:",
            *(f"  {line}" for line in loud),
            f"  (fix: {fix})",
        ]
    return lines


def audio_summary(content: Content, settings: Settings) -> tuple[list[str], list[str]]:
    """Lengths and speaking rates measured from the rendered audio, and what breaks the limits."""
    library = AudioLibrary(
        content.languages, settings.paces, settings.tts_voice, settings.audio_dir, None
    )
    prompts = {i: p for i, p in content.prompts.prompts.items() if not p.dynamic}
    lines = ["", f"Rendered audio ({settings.audio_dir}):"]
    failures: list[str] = []
    for pace in settings.paces.values():
        found = library.at_pace(pace.name)
        missing = len(prompts) - len(found)
        if not found:
            lines.append(
                f"  {pace.name}: none rendered; run `ivr prompts render` "
                "(until then the helpline speaks with <Say>)"
            )
            continue
        words = sum(r.words for r in found.values())
        seconds = sum(r.seconds for r in found.values())
        rates = sorted((words_per_minute(r.words, r.seconds), pid) for pid, r in found.items())
        pace_wpm = words_per_minute(words, seconds)
        lines.append(
            f"  {pace.name}: {len(found)} prompts, {seconds / 60:.1f} min, {pace_wpm:.0f} words "
            f"a minute overall (limit {pace.max_words_per_minute}); per prompt "
            f"{rates[0][0]:.0f} to {rates[-1][0]:.0f}"
            + (f"; {missing} not rendered (spoken with <Say>)" if missing else "")
        )
        if pace_wpm > pace.max_words_per_minute:
            failures.append(
                f"the {pace.name} pace is {pace_wpm:.0f} words a minute, over its "
                f"limit of {pace.max_words_per_minute} (fix: lower the engine rate, "
                f"TTS_{'SLOW_' if pace.name == 'slow' else ''}RATE)"
            )
    normal = library.at_pace("normal")
    longest = sorted(normal.items(), key=lambda item: -item[1].seconds)[:5]
    if longest:
        lines.append("  The 5 longest prompts (normal pace):")
        lines += [f"    {r.seconds:5.1f} s  {pid}" for pid, r in longest]
    menus = [
        (sum(normal[p].seconds for p in node.say), node)
        for node in content.flow.nodes.values()
        if isinstance(node, MenuNode) and all(p in normal for p in node.say)
    ]
    if menus:
        seconds, node = max(menus, key=lambda menu: menu[0])
        lines.append(f"  The longest menu (normal pace): {seconds:.1f} s, {node.id}")
    for seconds, node in menus:
        if seconds > MAX_MENU_SECONDS:
            first = prompts[node.say[0]]
            failures.append(
                f"{first.file}:{first.line} [{node.id}]: the menu takes "
                f"{seconds:.1f} s to say (fix: keep a menu under "
                f"{MAX_MENU_SECONDS:.0f} s; shorten its prompts)"
            )
    return lines, failures


def call_map(content: Content) -> list[str]:
    """The call as a tree of keys, each part shown once, where it is nearest the start."""
    flow = content.flow
    paths = shortest_paths(flow)
    lines = [f"{flow.nodes[flow.start].title} ({flow.start})"]
    shown = {flow.start}

    def walk(node_id: str, indent: str) -> None:
        node = flow.nodes[node_id]
        answer = {YES_KEY: "1 yes", NO_KEY: "2 no"} if isinstance(node, QuestionNode) else {}
        for key, target in node.keyed():
            key = answer.get(key, key)
            child = flow.nodes[target]
            owned = paths.get(target, ())[-2:-1] == (node_id,) and target not in shown
            if owned:
                shown.add(target)
            mark = "" if owned else "  (see its own entry)"
            lines.append(f"{indent}{key:>5} -> {child.title} ({target}){mark}")
            if owned:
                walk(target, indent + "        ")

    walk(flow.start, "")
    operator = flow.nodes[flow.operator]
    lines.append(f"    0 -> {operator.title} ({flow.operator}), from every part")
    lines.append(
        f"    {MAIN_MENU_KEY} -> {flow.nodes[flow.start].title} ({flow.start}), from every part"
    )
    lines.append(f"    * -> back one step;  # -> hear this again;  {PACE_KEY} -> the slower voice")
    return lines


def entry_codes(content: Content) -> list[str]:
    """Every entry code, in order: what staff key after * to send a caller to a part."""
    nodes = sorted((n for n in content.flow.nodes.values() if n.code), key=lambda n: n.code)
    return [f"{node.code:>4}  {node.title} ({node.id})" for node in nodes]


def mermaid(content: Content) -> list[str]:
    """The call flow as a Mermaid flowchart: menus as boxes, keys on the arrows."""
    flow = content.flow

    def label(node: Node) -> str:
        code = f" · {node.code}" if node.code else ""
        return (node.title + code).replace('"', "#quot;")

    shapes = {
        "menu": '["{}"]',
        "info": '("{}")',
        "question": '{{"{}"}}',
        "summary": '("{}")',
        "transfer": '[["{}"]]',
        "callback": '[/"{}"/]',
        "voicemail": '[\\"{}"\\]',
    }
    lines = ["flowchart TD"]
    for node in flow.nodes.values():
        lines.append(f"  {node.id}{shapes[node.kind].format(label(node))}")
    for node in flow.nodes.values():
        if isinstance(node, ChoiceNode):
            lines += [f"  {node.id} -- {o.key} --> {o.to}" for o in node.options]
        elif isinstance(node, QuestionNode):
            lines += [
                f'  {node.id} -- "1 yes" --> {node.yes}',
                f'  {node.id} -- "2 no" --> {node.no}',
            ]
        else:
            lines += [f"  {node.id} -.-> {target}" for target in node.targets()]
    lines.append(f'  anywhere(("any menu")) -- "0" --> {flow.operator}')
    lines.append(f'  anywhere -- "{MAIN_MENU_KEY}" --> {flow.start}')
    return lines


def dot(content: Content) -> str:
    """The same as Graphviz DOT, for an SVG where Graphviz is installed."""
    flow = content.flow
    out = ["digraph helpline {", "  rankdir=TB; node [shape=box, fontname=sans];"]
    for node in flow.nodes.values():
        title = node.title.replace('"', '\\"')
        out.append(f'  {node.id} [label="{title}"];')
    for node in flow.nodes.values():
        keys = {to: key for key, to in node.keyed()}
        for target in node.targets():
            out.append(f'  {node.id} -> {target} [label="{keys.get(target, "")}"];')
    out.append("}")
    return "\n".join(out)
