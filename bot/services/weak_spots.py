"""The group's weak spots: accuracy per official exam-guide section (the radar), and the
daily drop's weak-spots mode, which draws most drops from the weakest sections.

Weak-spots choice, for a guild's drop:

1. A section with eligible questions (in the guild's daily domains) that has not been
   drawn for COVERAGE (three weeks) comes first, the longest-waiting one: every section
   comes round at least that often. A guild's first weeks count from its first drop.
2. Otherwise the sections are ranked by the group's accuracy over the last 30 days,
   smoothed towards the pass line so that a section with a handful of answers is not
   called weak on two misses; the weakest is drawn half the time, the next a quarter,
   the third an eighth, and the rest share the last eighth.
3. Within the section: questions not dropped in the last 60 days first, and among them
   those the group missed lately.

The drop keeps the reason, and the reveal shows it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session

from bot.content import ContentStore
from bot.models import Answer, DailyDrop
from bot.services.errors import NotFound

WINDOW = timedelta(days=30)  # the radar's, and the weak-spots mode's, look back
COVERAGE = timedelta(weeks=3)  # every section is drawn at least this often
FRESH = timedelta(days=60)  # questions dropped more recently come last
PRIOR_ANSWERS = 5  # smoothing: as if each section had 5 more answers at the pass line
RANK_SHARES = (0.5, 0.25, 0.125)  # the weakest, second and third; the rest share the remainder


@dataclass(frozen=True)
class SectionFigure:
    section: str
    name: str
    answered: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return 100 * self.correct / self.answered if self.answered else None


@dataclass(frozen=True)
class Radar:
    since: datetime
    sections: list[SectionFigure]  # in the exam guide's order
    pass_line: int

    @property
    def answered(self) -> int:
        return sum(s.answered for s in self.sections)


def radar(session: Session, content: ContentStore, guild_id: int, now: datetime) -> Radar:
    """The guild's accuracy per official section over the last 30 days, with counts."""
    since = now - WINDOW
    totals: dict[str, list[int]] = {s.id: [0, 0] for s in content.blueprint.official_sections}
    rows = session.execute(
        select(Answer.question_id, func.count(), func.sum(Answer.correct.cast(Integer)))
        .where(Answer.guild_id == guild_id, Answer.answered_at >= since)
        .group_by(Answer.question_id)
    )
    for qid, answered, correct in rows:
        q = content.questions.get(qid)
        if q is None:
            continue  # a question since removed from the bank
        tally = totals.setdefault(q.section.split(".")[0], [0, 0])
        tally[0] += answered
        tally[1] += int(correct or 0)
    figures = [
        SectionFigure(s.id, s.name, *totals[s.id]) for s in content.blueprint.official_sections
    ]
    return Radar(since, figures, content.blueprint.exam.pass_estimate)


# -- the weak-spots drop --------------------------------------------------------------------------
@dataclass(frozen=True)
class Pick:
    question_id: str
    section: str
    reason: str


def smoothed(figure: SectionFigure, pass_line: int) -> float:
    return (figure.correct + PRIOR_ANSWERS * pass_line / 100) / (figure.answered + PRIOR_ANSWERS)


def choose_drop(
    session: Session,
    content: ContentStore,
    *,
    guild_id: int,
    domains: list[str],
    today: date,
    now: datetime,
    rng: random.Random,
) -> Pick:
    """The weak-spots question for a guild's drop on `today` (its local date), and why."""
    eligible = {q for d in domains for q in content.by_domain.get(d, ())}
    by_section: dict[str, list[str]] = {}
    for qid in sorted(eligible):
        by_section.setdefault(content.questions[qid].section.split(".")[0], []).append(qid)
    if not by_section:
        raise NotFound("No questions in the chosen domains.")
    drops = select(DailyDrop.question_id, DailyDrop.local_date)
    history: list[tuple[str, date]] = [
        (qid, day) for qid, day in session.execute(drops.where(DailyDrop.guild_id == guild_id))
    ]
    first_drop = min((day for _q, day in history), default=today)
    last_drawn: dict[str, date] = {}
    for qid, day in history:
        q = content.questions.get(qid)
        if q is not None:
            section = q.section.split(".")[0]
            last_drawn[section] = max(day, last_drawn.get(section, day))
    stats = {f.section: f for f in radar(session, content, guild_id, now).sections}
    pass_line = content.blueprint.exam.pass_estimate
    waited = {s: today - last_drawn.get(s, first_drop) for s in by_section}
    overdue = [s for s in by_section if waited[s] >= COVERAGE]
    if overdue:
        section = max(overdue, key=lambda s: (waited[s], -int(s)))
        reason = (
            f"**{content.section_name(section)}** had not come up for {waited[section].days} "
            f"days: in weak-spots mode every section comes round at least every "
            f"{COVERAGE.days // 7} weeks."
        )
    else:
        ranked = sorted(by_section, key=lambda s: (smoothed(stats[s], pass_line), s))
        shares = list(RANK_SHARES[: len(ranked)])
        rest = len(ranked) - len(shares)
        shares += [(1 - sum(RANK_SHARES)) / rest] * rest if rest else []
        section = rng.choices(ranked, weights=shares)[0]
        reason = _weak_reason(content, stats[section], ranked.index(section), len(ranked))
    question = _question(session, guild_id, by_section[section], history, now, today, rng)
    return Pick(question, section, reason)


def _weak_reason(content: ContentStore, figure: SectionFigure, rank: int, of: int) -> str:
    name = f"**{content.section_name(figure.section)}**"
    if figure.accuracy is None:
        return (
            f"Picked from {name}: the group has no answers there in the last 30 days, so "
            "it counts as a weak spot until it has some."
        )
    place = (
        "the group's weakest section"
        if rank == 0
        else f"the group's no. {rank + 1} weak spot of {of}"
    )
    return (
        f"Picked from {name}, {place}: {figure.accuracy:.0f}% right over the last 30 days "
        f"({figure.answered} answers)."
    )


def _question(
    session: Session,
    guild_id: int,
    pool: list[str],
    history: list[tuple[str, date]],
    now: datetime,
    today: date,
    rng: random.Random,
) -> str:
    recent = {qid for qid, day in history if today - day < FRESH}
    fresh = [q for q in pool if q not in recent] or pool
    missed = list(
        session.scalars(
            select(Answer.question_id)
            .where(
                Answer.guild_id == guild_id,
                Answer.correct.is_(False),
                Answer.answered_at >= now - WINDOW,
                Answer.question_id.in_(fresh),
            )
            .group_by(Answer.question_id)
            .order_by(func.count().desc(), Answer.question_id)
            .limit(3)
        )
    )
    return missed[0] if missed else rng.choice(fresh)
