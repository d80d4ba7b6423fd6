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


def summarise(
    content: ContentStore,
    recall: Mapping[str, float],
    at: datetime,
    exam_day: date | None,
) -> Forecast:
    """The forecast from each answered question's recall at `at` (question id → 0..1)."""

    def bucket(bid: str, name: str, weight: int, ids: tuple[str, ...]) -> Recall:
        seen = [recall[q] for q in ids if q in recall]
        return Recall(bid, name, weight, len(ids), len(seen), sum(seen))

    domains = tuple(
        bucket(d.id, d.name, d.weight, content.by_domain.get(d.id, ()))
        for d in content.blueprint.domains
    )
    sections = tuple(
        bucket(s.id, s.name, s.weight, content.by_section.get(s.id, ()))
        for s in content.blueprint.official_sections
    )
    total = len(content.questions)
    known = sum(v for q, v in recall.items() if q in content.questions)
    return Forecast(at, exam_day, domains, sections, 100.0 * known / total if total else None)


def forecast(session: Session, content: ContentStore, *, user_id: int, now: datetime) -> Forecast:
    """The member's recall forecast for their exam day (or now, without an exam ahead)."""
    win = exam_window(session, user_id, now)
    at = win.exam_at if win is not None else now
    scheduler = review.member_scheduler(session, user_id)
    questions = content.questions
    recall = {
        card.question_id: review.retrievability(scheduler, card, at)
        for card in review.card_states(session, user_id)
        if card.question_id in questions
    }
    return summarise(content, recall, at, win.exam_day if win is not None else None)
