"""Pydantic models of the content files. Field names are the YAML keys."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LETTERS = "ABCDEF"
CHOOSE_WORDS = {2: "two", 3: "three"}
ALLOWED_LINK_HOSTS = ("cloud.google.com",)
FORBIDDEN_OPTIONS = re.compile(r"\b(all|none|both|neither) of the (above|options)\b", re.I)
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)[.!?](?=\s+[A-Z0-9(\"']|\s*$)")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ExamFacts(Strict):
    name: str
    duration_minutes: int = Field(gt=0)
    question_count: int = Field(gt=0)
    pass_estimate: int = Field(ge=1, le=100)
    guide_version: str
    bank_minimum: int = Field(default=640, ge=1)


class Checks(Strict):
    """The limits `make check-content` holds the bank to (blueprint `checks:`).

    Percentages are of the questions concerned; "pp" are percentage points.
    """

    section_tolerance_pp: float = Field(default=2, ge=0)
    subsection_minimum: int = Field(default=10, ge=0)
    domain_tolerance_pp: float = Field(default=3, ge=0)
    subtopic_minimum: int = Field(default=8, ge=0)
    key_shortest_max_pct: float = Field(default=30, ge=0, le=100)
    key_longest_max_pct: float = Field(default=30, ge=0, le=100)
    cue_word_gap_max_pp: float = Field(default=5, ge=0)  # distractors minus keys
    blind_vs_chance_max_pp: float = Field(default=5, ge=0)
    key_letter_max_pct: float = Field(default=35, ge=0, le=100)
    median_stem_words_min: float = Field(default=60, ge=0)
    multiple_select_min_pct: float = Field(default=10, ge=0, le=100)
    multiple_select_max_pct: float = Field(default=20, ge=0, le=100)
    choose_three_min_pct: float = Field(default=10, ge=0, le=100)  # of multiple-select
    difficulty_easy_pct: float = Field(default=30, ge=0, le=100)
    difficulty_medium_pct: float = Field(default=50, ge=0, le=100)
    difficulty_hard_pct: float = Field(default=20, ge=0, le=100)
    difficulty_tolerance_pp: float = Field(default=10, ge=0)
    genai_min_pct: float = Field(default=20, ge=0, le=100)
    genai_min_sections: int = Field(default=5, ge=0)
    old_links_max_pct: float = Field(default=15, ge=0, le=100)
    review_months: int = Field(default=12, ge=1)


class Subtopic(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str


class Domain(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    weight: int = Field(gt=0, le=100)
    subtopics: tuple[Subtopic, ...] = Field(min_length=1)


class Subsection(Strict):
    id: str = Field(pattern=r"^\d\.\d$")
    name: str


class Section(Strict):
    id: str = Field(pattern=r"^\d$")
    name: str
    weight: int = Field(gt=0, le=100)
    subsections: tuple[Subsection, ...] = Field(min_length=1)


class Blueprint(Strict):
    exam: ExamFacts
    domains: tuple[Domain, ...] = Field(min_length=1)
    official_sections: tuple[Section, ...] = Field(min_length=1)
    checks: Checks = Checks()

    @model_validator(mode="after")
    def _weights(self) -> Blueprint:
        total = sum(d.weight for d in self.domains)
        if total != 100:
            raise ValueError(f"domain weights sum to {total}, not 100")
        official = sum(s.weight for s in self.official_sections)
        if not 99 <= official <= 101:  # Google's published weights round to 101
            raise ValueError(f"official section weights sum to {official}, not about 100")
        ids = [d.id for d in self.domains]
        if len(set(ids)) != len(ids):
            raise ValueError("domain ids are not unique")
        return self


def count_sentences(text: str) -> int:
    return len(_SENTENCE_END.findall(text.strip()))


class Question(Strict):
    id: str = Field(pattern=r"^[a-z]+-\d{3,4}$")
    domain: str
    subtopic: str
    section: str = Field(pattern=r"^\d\.\d$")
    difficulty: Literal["easy", "medium", "hard"]
    stem: str = Field(min_length=20, max_length=1500)
    options: tuple[str, ...] = Field(min_length=4, max_length=6)
    answer: tuple[str, ...] = Field(min_length=1)
    choose: int = Field(default=1, ge=1, le=3)
    explanation: str = Field(min_length=20, max_length=1800)
    links: tuple[str, ...] = Field(min_length=1, max_length=3)
    genai: bool = False  # the question is about generative AI (counted by the check)
    reviewed: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")  # YYYY-MM

    @field_validator("options")
    @classmethod
    def _options(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for text in value:
            if not text:
                raise ValueError("an option is empty")
            if len(text) > 400:
                raise ValueError(f"option longer than 400 characters: {text[:40]!r}…")
            if FORBIDDEN_OPTIONS.search(text):
                raise ValueError(f"'all/none of the above' options are not allowed: {text!r}")
        if len({t.casefold() for t in value}) != len(value):
            raise ValueError("two options are the same")
        return value

    @field_validator("links")
    @classmethod
    def _links(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for link in value:
            match = re.match(r"^https://([^/\s]+)(/\S*)?$", link)
            host = match.group(1) if match else ""
            if not any(host == h or host.endswith("." + h) for h in ALLOWED_LINK_HOSTS):
                raise ValueError(f"{link!r} is not an https link to cloud.google.com documentation")
        return value

    @field_validator("explanation")
    @classmethod
    def _explanation(cls, value: str) -> str:
        sentences = count_sentences(value)
        if not 2 <= sentences <= 6:
            raise ValueError(f"has {sentences} sentences; write 2 to 6")
        return value

    @model_validator(mode="after")
    def _keys(self) -> Question:
        letters = LETTERS[: len(self.options)]
        bad = [k for k in self.answer if k not in letters]
        if bad:
            raise ValueError(f"answer {bad} is not one of the options {', '.join(letters)}")
        if len(set(self.answer)) != len(self.answer):
            raise ValueError("answer repeats a letter")
        if self.choose == 1 and len(self.answer) != 1:
            raise ValueError("a single-select question has exactly one key (or set choose: N)")
        if self.choose > 1:
            if len(self.answer) != self.choose:
                raise ValueError(f"choose: {self.choose} needs {self.choose} keys in answer")
            if len(self.options) <= self.choose:
                raise ValueError("a multiple-select question needs more options than keys")
            word = CHOOSE_WORDS[self.choose]
            if f"choose {word}" not in self.stem.lower():
                raise ValueError(f"a choose: {self.choose} stem must say 'Choose {word}.'")
        return self

    @property
    def multiple(self) -> bool:
        return self.choose > 1

    @property
    def letters(self) -> str:
        return LETTERS[: len(self.options)]

    @property
    def key(self) -> str:
        """The key letters, sorted: 'B' or 'AD'."""
        return "".join(sorted(self.answer))

    def grade(self, choice: str) -> bool:
        """Right only when every pick is right (as on the real exam)."""
        return "".join(sorted(set(choice))) == self.key


class PlanWeek(Strict):
    week: int = Field(ge=1, le=52)
    phase: int = Field(ge=1)
    phase_name: str
    title: str
    goals: tuple[str, ...] = Field(min_length=1)
    topics: tuple[str, ...] = Field(min_length=1)
    domains: tuple[str, ...] = Field(min_length=1)
    target: int = Field(ge=1, le=500, description="questions to practise this week")
    milestones: tuple[str, ...] = ()


class StudyPlan(Strict):
    weeks: tuple[PlanWeek, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _numbered(self) -> StudyPlan:
        numbers = [w.week for w in self.weeks]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"weeks must be numbered 1..{len(numbers)} in order")
        return self


class Resource(Strict):
    title: str
    url: str = Field(pattern=r"^https://\S+$")


class Resources(Strict):
    general: tuple[Resource, ...] = ()
    domains: dict[str, tuple[Resource, ...]]
