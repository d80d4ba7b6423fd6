"""What a plan send says: claim it by its key, then gather what its message shows."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.orm import Session

from bot.content import ContentStore
from bot.models import Enrolment
from bot.services import deliveries, progress
from bot.services.errors import NotFound
from bot.services.plan import Position, local_today, position, week_target
from bot.services.plan_due import Due
from bot.services.plan_week import member_week, practised_since, week_before
from bot.services.progress import ProgressReport


@dataclass(frozen=True)
class Composed:
    """The figures a kickoff, nudge, report or follow-up shows."""

    report: ProgressReport | None = None  # a report's, or the one a kickoff carries
    position: Position | None = None
    practised: int = 0  # answers since the member's kickoff
    last_week: tuple[int, int] | None = None  # (answers, target) of the member's week before
    weak: list[str] = field(default_factory=list)  # domains below the pass line
    since: datetime | None = None  # a retry: an earlier attempt began then


def claim_and_compose(
    session: Session, content: ContentStore, item: Due, now: datetime
) -> Composed | None:
    """Claim `item`'s key (None when another tick or process has it) and compose it."""
    claimed = deliveries.claim(session, item.key, item.kind, now)
    if claimed is None:
        return None
    composed = _compose(session, content, item, now)
    return replace(composed, since=claimed.since) if claimed.since else composed


def _compose(session: Session, content: ContentStore, item: Due, now: datetime) -> Composed:
    uid = item.user_id
    carried = None
    if item.report is not None and deliveries.claim(session, item.report, "report", now):
        carried = progress.report(session, content, user_id=uid, now=now)
    if item.kind == "report":
        return Composed(report=progress.report(session, content, user_id=uid, now=now))
    if item.kind == "examdone":
        return Composed()
    enrolment = session.get(Enrolment, uid)
    if enrolment is None:
        raise NotFound(f"enrolment of {uid} is gone")
    pos = position(enrolment, local_today(enrolment, now), content)
    if item.kind == "nudge":  # since the member's latest kickoff
        practised = practised_since(session, [uid], member_week(enrolment, now)[0]).get(uid, 0)
        return Composed(position=pos, practised=practised)
    # the member's week before this kickoff: from the kickoff before it, up to it
    before = week_before(enrolment, item.due_at)
    last = practised_since(session, [uid], *before).get(uid, 0)
    previous = week_target(content, pos.week - 1, pos.total) if pos.week > 1 else None
    weak = progress.weak_domains(carried or progress.report(session, content, user_id=uid, now=now))
    return Composed(
        report=carried,
        position=pos,
        last_week=(last, previous) if previous else None,
        weak=weak,
    )
