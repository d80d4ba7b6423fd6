"""Product names: one table (content/names.yaml) and the rules that hold the bank to it.

Each product in the table has its current name (and other spellings of that name), the
names it had before, a status (current, renamed, retired, deprecated, or invalid: a name
Google's documentation does not use) and a documentation link. The check fails on

- a retired or deprecated product named in a key;
- a former name used alone: not inside "(formerly …)" / "previously …" / "renamed from …"
  and without the current name within a few words;
- a name the table marks invalid, anywhere in a question;
- one product named two ways across the bank (its current name in some questions, a former
  name alone in others);
- more than `checks.old_links_max_pct` of the links pointing at the old Vertex AI pages.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from bot.content.balance import BREACH, Block
from bot.content.models import Checks, Question, Strict
from bot.content.store import Problem

Status = Literal["current", "renamed", "retired", "deprecated", "invalid"]
GONE = ("retired", "deprecated")
OLD_LINK = re.compile(r"^https://(docs\.)?cloud\.google\.com/vertex-ai/")
NEARBY = 100  # characters either side in which the current name excuses a former one
_FORMERLY = re.compile(
    r"\b(formerly|previously|renamed from|once called|was called|(?:formerly )?known as)"
    r"\s+(the\s+)?[\"'“]?$",
    re.I,
)
_PAREN_FORMERLY = re.compile(r"^\s*(formerly|previously|renamed from|once|was)\b", re.I)
_UNLISTED = re.compile(r"\b(?:Vertex AI|Vertex|Agent Platform)(?: [A-Z][\w-]*)+")


class Product(Strict):
    name: str
    status: Status
    former: tuple[str, ...] = ()  # names the product had before
    aliases: tuple[str, ...] = ()  # other spellings of the same current name
    use: str | None = None  # what to write instead (retired, deprecated, invalid)
    since: str | None = None  # when it was renamed, deprecated or retired
    docs: str = Field(pattern=r"^https://\S+$")
    note: str | None = None

    @field_validator("since", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return None if value is None else str(value)  # YAML reads 2026-04-22 as a date

    @model_validator(mode="after")
    def _consistent(self) -> Product:
        if self.status == "renamed" and not self.former:
            raise ValueError(f"{self.name}: a renamed product lists its former names")
        if self.status in ("invalid", *GONE) and not self.use:
            raise ValueError(f"{self.name}: say what to write instead (use: …)")
        return self

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


class NameTable(Strict):
    products: tuple[Product, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> NameTable:
        seen: dict[str, str] = {}
        for p in self.products:
            for form in (*p.names, *p.former):
                key = form.casefold()
                if key in seen:
                    raise ValueError(f"{form!r} is listed twice ({seen[key]} and {p.name})")
                seen[key] = p.name
        return self


@dataclass(frozen=True)
class Mention:
    product: Product
    form: str  # the table's spelling
    former: bool
    start: int
    end: int


class Matcher:
    """Finds the table's names in text, longest first, never two on the same words.

    Spelling is exact: product names are proper nouns, and "cloud functions" in passing is
    not "Cloud Functions".
    """

    def __init__(self, table: NameTable) -> None:
        self.forms: dict[str, tuple[Product, str, bool]] = {}
        for p in table.products:
            for form in p.names:
                self.forms[form] = (p, form, False)
            for form in p.former:
                self.forms[form] = (p, form, True)
        ordered = sorted((f for _, f, _ in self.forms.values()), key=len, reverse=True)
        alternatives = "|".join(re.escape(f) for f in ordered)
        self.pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-]|\.\w)")

    def find(self, text: str) -> list[Mention]:
        out = []
        for m in self.pattern.finditer(text):
            product, form, former = self.forms[m.group(0)]
            out.append(Mention(product, form, former, m.start(), m.end()))
        return out


def load_table(path: Path, where: str, problems: list[Problem]) -> NameTable | None:
    """Read and validate the table; on failure add the problems and return None."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return NameTable.model_validate(data)
    except FileNotFoundError:
        problems.append(Problem(where, "", "", "file is missing"))
    except yaml.YAMLError as exc:
        problems.append(Problem(where, "", "", f"bad YAML: {exc}"))
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(whole)"
            problems.append(Problem(where, "", loc, err["msg"].removeprefix("Value error, ")))
    return None


def introduced(text: str, mention: Mention) -> bool:
    """Whether a former name sits in "(formerly …)", "previously …", "renamed from …"."""
    if _FORMERLY.search(text[max(0, mention.start - 60) : mention.start]):
        return True
    opened = text.rfind("(", max(0, mention.start - 120), mention.start)
    inside = opened >= 0 and ")" not in text[opened : mention.start]
    return inside and _PAREN_FORMERLY.match(text[opened + 1 : mention.start]) is not None


def next_to_current(mention: Mention, mentions: Iterable[Mention]) -> bool:
    """Whether the product's current name is within NEARBY characters of the mention."""
    return any(
        m.product is mention.product
        and not m.former
        and min(abs(m.end - mention.start), abs(mention.end - m.start)) <= NEARBY
        for m in mentions
    )


def _fields(q: Question) -> list[tuple[str, str]]:
    opts = [(f"options.{letter}", text) for letter, text in zip(q.letters, q.options, strict=True)]
    return [("stem", q.stem), *opts, ("explanation", q.explanation)]


def _use(p: Product) -> str:
    note = f" ({p.note})" if p.note else ""
    return f"write {p.use}{note}"


class _Scan:
    """One pass over the bank, collecting problems, figures and the forms each product had."""

    def __init__(self, table: NameTable) -> None:
        self.matcher = Matcher(table)
        self.problems: list[Problem] = []
        self.counts: Counter[str] = Counter()
        self.unlisted: Counter[str] = Counter()
        self.named: set[str] = set()
        # product name -> form -> ids of the questions using that form standing alone
        self.forms: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))

    def add(self, kind: str, f: str, qid: str, fld: str, msg: str) -> None:
        self.counts[kind] += 1
        self.problems.append(Problem(f, qid, fld, msg))

    def question(self, q: Question, f: str) -> None:
        found = []
        for fld, text in _fields(q):
            mentions = self.matcher.find(text)
            found += [(fld, text, m, mentions) for m in mentions]
            for phrase in _UNLISTED.finditer(text):
                if not any(m.start <= phrase.start() and m.end >= phrase.end() for m in mentions):
                    self.unlisted[phrase.group(0)] += 1
        current = {m.product.name for _, _, m, _ in found if not m.former}
        reported: set[tuple[str, str]] = set()
        for fld, text, m, mentions in found:
            p = m.product
            self.named.add(p.name)
            first = (fld, m.form) not in reported
            reported.add((fld, m.form))
            if p.status == "invalid":
                if first:
                    msg = f"{m.form!r} is not a name Google's documentation uses; {_use(p)}"
                    self.add("invalid", f, q.id, fld, msg)
            elif p.status in GONE:
                if fld.startswith("options.") and fld[-1] in q.answer:
                    when = f" {p.since}" if p.since else ""
                    msg = f"key {fld[-1]} names {m.form!r} ({p.status}{when}; use {p.use})"
                    self.add("gone in key", f, q.id, "answer", msg)
            elif not m.former:
                self.forms[p.name][p.name].add(q.id)
            elif not introduced(text, m):
                if not next_to_current(m, mentions):
                    self.forms[p.name][m.form].add(q.id)
                if p.name not in current and first:
                    msg = (
                        f"says {m.form!r} without the current name: write {p.name!r} "
                        f"(with '(formerly {m.form})' the first time)"
                    )
                    self.add("former alone", f, q.id, fld, msg)

    def two_names(self) -> None:
        for name, forms in sorted(self.forms.items()):
            if len(forms) < 2:
                continue
            parts = [
                f"{form!r} in {len(ids)} question(s) ({', '.join(sorted(ids)[:3])}"
                f"{', …' if len(ids) > 3 else ''})"
                for form, ids in sorted(forms.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            ]
            msg = f"one product, two names across the bank: {'; '.join(parts)}; use {name!r}"
            self.add("two names", "content/questions", name, "names", msg)


def check_names(
    table: NameTable, qs: list[Question], origin: dict[str, str], checks: Checks
) -> Block:
    """Rule 5: the naming rules over the bank, and the share of links to old pages."""
    scan = _Scan(table)
    for q in qs:
        scan.question(q, origin.get(q.id, "?"))
    scan.two_names()
    kinds = ("gone in key", "former alone", "invalid", "two names")
    lines = [
        f"table: {len(table.products)} products; the bank names {len(scan.named)} of them",
        "naming problems (limit 0): "
        + ", ".join(f"{k} {scan.counts[k]}" for k in kinds)
        + (BREACH if any(scan.counts[k] for k in kinds) else ""),
    ]
    if scan.unlisted:
        top = ", ".join(f"{k!r} ×{n}" for k, n in scan.unlisted.most_common(8))
        lines.append(f"not in the table (add them if they are product names): {top}")
    links = [link for q in qs for link in q.links]
    old = sum(bool(OLD_LINK.match(link)) for link in links)
    share = 100.0 * old / len(links) if links else 0.0
    limit = checks.old_links_max_pct
    lines.append(
        f"links: {len(links)} in {len(qs)} questions (1 to 3 each); to the old "
        f"…/vertex-ai/ pages: {old} = {share:.1f}% (at most {limit:g}%)"
        + (BREACH if share > limit else "")
    )
    if share > limit:
        msg = (
            f"{share:.1f}% of links point at the old cloud.google.com/vertex-ai pages; at most "
            f"{limit:g}% (link the docs.cloud.google.com/gemini-enterprise-agent-platform page)"
        )
        scan.problems.append(Problem("content/questions", "links", "links", msg))
    return Block("5. One naming table (content/names.yaml)", lines, scan.problems)
