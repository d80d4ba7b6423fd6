"""The recall forecast: the share of the bank a member is predicted to remember on exam day.

For each study-guide domain and each official exam-guide section: the mean FSRS
retrievability, at the start of the exam day, over all the bank's questions in it, where a
question the member never answered counts as unknown (0, as fsrs rates a card never
reviewed). Without an exam date ahead, the horizon is now ("if the exam were today").
The member's own FSRS parameters apply when they have them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.content import ContentStore
from bot.services import review
from bot.services.review_plan import exam_window


@dataclass(frozen=True)
class Recall:
    """One domain's or section's forecast."""

    id: str
    name: str
    weight: int
    questions: int  # in the bank
    seen: int  # of them with a card (answered at least once)
    expected: float  # questions predicted to be remembered (sum of recall)

    @property
    def share(self) -> float | None:
        """Percent of the bucket's questions predicted to be remembered (None: empty)."""
        return 100.0 * self.expected / self.questions if self.questions else None


@dataclass(frozen=True)
class Forecast:
    at: datetime  # the moment forecast: the start of the exam day, or now
    exam_day: date | None  # None: no exam date ahead, so "if the exam were today"
    domains: tuple[Recall, ...]  # in blueprint order
    sections: tuple[Recall, ...]  # official sections, in order
    overall: float | None  # percent of the whole bank

    def domain(self, domain_id: str) -> Recall:
        return next(r for r in self.domains if r.id == domain_id)


_BUCKETS: dict[int, tuple[ContentStore, dict[str, tuple[int, int]]]] = {}


def _buckets(content: ContentStore) -> dict[str, tuple[int, int]]:
    """question id → (index of its domain, index of its official section), worked out once
    per content store (the store never changes once loaded)."""
    cached = _BUCKETS.get(id(content))
    if cached is not None and cached[0] is content:
        return cached[1]
    domains = {d.id: i for i, d in enumerate(content.blueprint.domains)}
    sections = {s.id: i for i, s in enumerate(content.blueprint.official_sections)}
    where = {
        q.id: (domains[q.domain], sections[q.section.partition(".")[0]])
        for q in content.questions.values()
        if q.domain in domains and q.section.partition(".")[0] in sections
    }
    _BUCKETS[id(content)] = (content, where)
    return where


def summarise(
    content: ContentStore,
    recall: Mapping[str, float],
    at: datetime,
    exam_day: date | None,
) -> Forecast:
    """The forecast from each answered question's recall at `at` (question id → 0..1)."""
    blueprint = content.blueprint
    where = _buckets(content)
    seen_d, sum_d = [0] * len(blueprint.domains), [0.0] * len(blueprint.domains)
    seen_s, sum_s = [0] * len(blueprint.official_sections), [0.0] * len(blueprint.official_sections)
    for qid, value in recall.items():
        found = where.get(qid)
        if found is None:  # a question since removed from the bank
            continue
        d, s = found
        seen_d[d] += 1
        sum_d[d] += value
        seen_s[s] += 1
        sum_s[s] += value
    domains = tuple(
        Recall(d.id, d.name, d.weight, len(content.by_domain.get(d.id, ())), seen_d[i], sum_d[i])
        for i, d in enumerate(blueprint.domains)
    )
    sections = tuple(
        Recall(s.id, s.name, s.weight, len(content.by_section.get(s.id, ())), seen_s[i], sum_s[i])
        for i, s in enumerate(blueprint.official_sections)
    )
    total = len(content.questions)
    return Forecast(at, exam_day, domains, sections, 100.0 * sum(sum_d) / total if total else None)


def forecast(session: Session, content: ContentStore, *, user_id: int, now: datetime) -> Forecast:
    """The member's recall forecast for their exam day (or now, without an exam ahead)."""
    win = exam_window(session, user_id, now)
    at = win.exam_at if win is not None else now
    scheduler = review.member_scheduler(session, user_id)
    recall = review.recall_by_question(session, user_id, scheduler, at)
    return summarise(content, recall, at, win.exam_day if win is not None else None)
