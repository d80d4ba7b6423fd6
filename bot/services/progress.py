"""The progress report: accuracy per domain against the pass line, readiness with its
uncertainty band, the recall forecast for exam day, the study streak, and the trend.

Accuracy per domain and the trend come from the running totals (ProgressTotal, per member,
period and topic); accuracy per official section from the member's own answers (an index
range, grouped by question: there are no running totals per section). The forecast reads
the member's review cards (bot/services/forecast.py), the band is readiness.py's, the
study streak streaks.py's. Accuracies are percentages (0-100), like the blueprint's pass
estimate.

Whose week: a member with a plan (active or paused) has this week and last week counted in
their own plan week, from their kickoff to the next in their timezone, from the answers
(`bot.services.plan_week`), as the kickoff's "last week: X of Y" counts them; a member
without one has the UTC ISO week of the totals. The trend is always ISO weeks in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, case, func, select
from sqlalchemy.orm import Session

from bot.content import ContentStore
from bot.models import Answer, Enrolment, ProgressTotal, Streak
from bot.services import plan, plan_week, streaks
from bot.services.forecast import Forecast, forecast
from bot.services.periods import ALL, iso_week, shift_week
from bot.services.readiness import Band, wilson
from bot.services.readiness import band as readiness_band
from bot.services.sql import Prepared
from bot.services.streaks import StudyStreak

TREND_WEEKS = 8
WEAK_MIN_ANSWERS = 3
SHORT_NAMES = {"lowcode": "Low-code ML"}


def percent(correct: int, answered: int) -> float | None:
    return 100.0 * correct / answered if answered else None


@dataclass(frozen=True)
class DomainStat:
    id: str
    name: str
    short: str  # a chart label
    weight: int
    answered: int
    correct: int
    accuracy: float | None
    low: float = 0.0  # the Wilson band of the accuracy, percent
    high: float = 100.0


@dataclass(frozen=True)
class SectionStat:
    """Accuracy in one official exam-guide section."""

    id: str  # "1" … "6"
    name: str
    weight: int
    answered: int
    correct: int
    accuracy: float | None


@dataclass(frozen=True)
class TopicStat:
    topic: str  # "domain.subtopic"
    name: str
    answered: int
    correct: int
    accuracy: float


@dataclass(frozen=True)
class WeekPoint:
    week: str  # "2026-W48"
    answered: int
    correct: int
    accuracy: float | None


@dataclass(frozen=True)
class OwnWeek:
    """The member's plan week the report's weekly figures count: kickoff to kickoff."""

    start: datetime  # their latest kickoff (UTC)
    end: datetime  # the next one
    timezone: str  # the plan's


@dataclass(frozen=True)
class ProgressReport:
    user_id: int
    week: str  # this ISO week (UTC), the trend's last
    pass_line: int
    answered_week: int  # this week: the member's own plan week (`own_week`), else the ISO week
    answered_total: int
    accuracy: float | None  # overall
    domains: tuple[DomainStat, ...]  # in blueprint order
    week_accuracy: float | None
    last_week_accuracy: float | None
    accuracy_change: float | None  # this week's minus last week's, in points
    streak: int  # best current daily streak across guilds
    plan: str | None  # "Week 5 of 12 — Phase 2: Google Cloud ML services"
    readiness: float | None  # blueprint-weighted accuracy over domains with enough answers
    readiness_missing: tuple[str, ...]  # domain ids with too few answers to count
    weakest: tuple[TopicStat, ...]  # up to three subtopics, weakest first
    trend: tuple[WeekPoint, ...]  # the last TREND_WEEKS ISO weeks, oldest first
    band: Band | None = None  # readiness's uncertainty band; "ready" only above it
    forecast: Forecast | None = None  # recall on exam day, per domain and section
    sections: tuple[SectionStat, ...] = ()  # accuracy per official section
    study: StudyStreak | None = None  # days studied in a row, in the member's timezone
    answered_last_week: int = 0  # the week before this week (whichever week that is)
    own_week: OwnWeek | None = None  # a member with a plan: the weekly figures count this

    @property
    def ready(self) -> bool:
        return self.band is not None and self.band.ready

    def domain(self, domain_id: str) -> DomainStat:
        return next(d for d in self.domains if d.id == domain_id)


def short_name(domain_id: str) -> str:
    return SHORT_NAMES.get(domain_id, domain_id.replace("_", " ").capitalize())


Totals = dict[tuple[str, str], tuple[int, int]]  # (period, topic) → (answered, correct)


def _totals(session: Session, user_id: int, periods: list[str]) -> Totals:
    rows = session.execute(
        select(
            ProgressTotal.period, ProgressTotal.topic, ProgressTotal.answered, ProgressTotal.correct
        ).where(ProgressTotal.user_id == user_id, ProgressTotal.period.in_(periods))
    )
    return {(period, topic): (answered, correct) for period, topic, answered, correct in rows}


def _enrolled(session: Session, user_id: int) -> Enrolment | None:
    """The member's active or paused plan, if any."""
    row = session.get(Enrolment, user_id)
    return row if row is not None and row.status in (plan.ACTIVE, plan.PAUSED) else None


def _plan_label(content: ContentStore, enrolled: Enrolment | None, now: datetime) -> str | None:
    if enrolled is None:
        return None
    return plan.position(enrolled, plan.local_today(enrolled, now), content).label


Scores = tuple[int, int]  # (answered, correct)


def _this_and_last(
    session: Session, enrolled: Enrolment | None, trend: tuple[WeekPoint, ...], now: datetime
) -> tuple[OwnWeek | None, Scores, Scores]:
    """This week's and last week's (answered, correct): the member's own plan weeks, from
    the answers, when they have a plan; else the last two ISO weeks of the trend."""
    if enrolled is None:
        this, last = trend[-1], trend[-2]
        return None, (this.answered, this.correct), (last.answered, last.correct)
    weeks = plan_week.two_weeks(session, enrolled, now)
    own = OwnWeek(weeks.start, weeks.end, enrolled.timezone)
    return own, weeks.this_week, weeks.last_week


def readiness(domains: tuple[DomainStat, ...], min_answers: int) -> float | None:
    """Accuracy weighted like the exam, over the domains with at least `min_answers`."""
    counted = [d for d in domains if d.answered >= min_answers and d.accuracy is not None]
    weight = sum(d.weight for d in counted)
    if not weight:
        return None
    return sum(d.weight * (d.accuracy or 0.0) for d in counted) / weight


def _weakest(totals: Totals, content: ContentStore) -> tuple[TopicStat, ...]:
    found = []
    for (period, topic), (answered, correct) in totals.items():
        if period != ALL or "." not in topic or answered < WEAK_MIN_ANSWERS:
            continue
        try:
            name = content.subtopic_name(topic)
        except KeyError:  # a subtopic since removed from the blueprint
            name = topic
        found.append(TopicStat(topic, name, answered, correct, 100.0 * correct / answered))
    found.sort(key=lambda t: (t.accuracy, -t.answered, t.topic))
    return tuple(found[:3])


def _score(totals: Totals, period: str, topic: str = "*") -> tuple[int, int, float | None]:
    """(answered, correct, accuracy) for one period and topic."""
    answered, correct = totals.get((period, topic), (0, 0))
    return answered, correct, percent(correct, answered)


def report(
    session: Session,
    content: ContentStore,
    *,
    user_id: int,
    now: datetime,
    min_answers: int = 10,
) -> ProgressReport:
    """The member's progress: one read of their totals (this and the last 7 ISO weeks, and
    all time), their streaks and their enrolment; with a plan, one range read of their
    answers in their own week and the one before."""
    this_week = iso_week(now)
    weeks = [shift_week(this_week, -i) for i in range(TREND_WEEKS - 1, -1, -1)]
    totals = _totals(session, user_id, [ALL, *weeks])
    domains = tuple(_domain(d.id, d.name, d.weight, totals) for d in content.blueprint.domains)
    pass_line = content.blueprint.exam.pass_estimate
    trend = tuple(WeekPoint(w, *_score(totals, w)) for w in weeks)
    enrolled = _enrolled(session, user_id)
    own, (week_n, week_right), (last_n, last_right) = _this_and_last(session, enrolled, trend, now)
    now_acc, last_acc = percent(week_right, week_n), percent(last_right, last_n)
    change = None if now_acc is None or last_acc is None else now_acc - last_acc
    streak = session.scalar(select(func.max(Streak.current)).where(Streak.user_id == user_id))
    answered, _, accuracy = _score(totals, ALL)
    return ProgressReport(
        user_id=user_id,
        week=this_week,
        pass_line=pass_line,
        answered_week=week_n,
        answered_total=answered,
        accuracy=accuracy,
        domains=domains,
        week_accuracy=now_acc,
        last_week_accuracy=last_acc,
        accuracy_change=change,
        streak=streak or 0,
        plan=_plan_label(content, enrolled, now),
        readiness=readiness(domains, min_answers),
        readiness_missing=tuple(d.id for d in domains if d.answered < min_answers),
        weakest=_weakest(totals, content),
        trend=trend,
        band=readiness_band(((d.weight, d.correct, d.answered) for d in domains), pass_line),
        forecast=forecast(session, content, user_id=user_id, now=now),
        sections=section_stats(session, content, user_id),
        study=streaks.streak(session, user_id, now),
        answered_last_week=last_n,
        own_week=own,
    )


def _domain(domain_id: str, name: str, weight: int, totals: Totals) -> DomainStat:
    answered, correct, accuracy = _score(totals, ALL, domain_id)
    low, high = wilson(correct, answered)
    return DomainStat(
        domain_id, name, short_name(domain_id), weight, answered, correct, accuracy, low, high
    )


ANSWERS: Table = Answer.__table__  # type: ignore[assignment]
_BY_QUESTION = Prepared(
    select(
        ANSWERS.c.question_id,
        func.count(),
        func.sum(case((ANSWERS.c.correct, 1), else_=0)),
    )
    .where(ANSWERS.c.user_id == bindparam("user"))
    .group_by(ANSWERS.c.question_id)
)


def section_stats(session: Session, content: ContentStore, user_id: int) -> tuple[SectionStat, ...]:
    """Accuracy per official section, from the member's answers grouped by question."""
    counts: dict[str, list[int]] = {}
    for question_id, answered, correct in _BY_QUESTION.rows(session, {"user": user_id}):
        question = content.questions.get(question_id)
        if question is None:  # a question since removed from the bank
            continue
        row = counts.setdefault(question.section.split(".")[0], [0, 0])
        row[0] += answered
        row[1] += int(correct or 0)
    found = []
    for s in content.blueprint.official_sections:
        answered, correct = counts.get(s.id, [0, 0])
        found.append(
            SectionStat(s.id, s.name, s.weight, answered, correct, percent(correct, answered))
        )
    return tuple(found)


def weak_domains(report: ProgressReport, threshold: float | None = None) -> list[str]:
    """Domain ids answered at least once and below `threshold` (the pass line), weakest first."""
    line = report.pass_line if threshold is None else threshold
    weak = [d for d in report.domains if d.accuracy is not None and d.accuracy < line]
    return [d.id for d in sorted(weak, key=lambda d: (d.accuracy or 0.0, d.id))]
