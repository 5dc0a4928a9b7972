"""Problems found in flow, prompt and configuration files, each with where and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the content, named by file, line and (where it has one) node."""

    file: str
    line: int
    message: str
    hint: str
    node: str = ""
    warning: bool = False
    rule: str = ""  # the named rule it breaks, as `ivr check --rules` lists them

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        node = f" [{self.node}]" if self.node else ""
        kind = "warning: " if self.warning else ""
        rule = f" ({self.rule})" if self.rule else ""
        return f"{where}{node}: {kind}{self.message} (fix: {self.hint}){rule}"


@dataclass
class ProblemList:
    """Collects problems so that every one is reported at once, not just the first."""

    items: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.items.append(problem)

    def errors(self) -> list[Problem]:
        return sorted(p for p in self.items if not p.warning)

    def warnings(self) -> list[Problem]:
        return sorted(p for p in self.items if p.warning)

    def raise_if_any(self) -> None:
        """Stop here when any error was found."""
        if self.errors():
            raise ContentError(self.errors())


class ContentError(Exception):
    """The flows or prompts have problems; the helpline must not start with them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the call flow or prompts:\n{lines}")
