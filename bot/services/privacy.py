"""What the bot keeps about a member or a guild: shown, deleted, and forgotten in time.

- `export_member`: everything stored about a member, as plain data (the JSON they get).
- `delete_member`: all of it, leaderboard rows and running totals included; what stays is
  anonymous (how often each question is answered and each option picked).
- `guild_left` / `guild_joined`: the bot left (or rejoined) a guild; `purge_guilds` removes
  the guild's settings, drops, leaderboards, points and streaks RETENTION after it left,
  and unties its members' own history from it. Rejoining before then keeps everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.orm import Session

from bot.enums import Deliver
from bot.models import (
    Answer,
    DailyAnswer,
    DailyDrop,
    Delivery,
    Enrolment,
    Guild,
    GuildSettings,
    LeaderboardTotal,
    Member,
    PointAward,
    PracticeSession,
    ProgressTotal,
    QuestionFlag,
    ReviewCard,
    SessionItem,
    Streak,
)

RETENTION = timedelta(days=30)
PLAN_KEYS = ("remind", "nudge", "report", "examdone")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(session: Session, table: Table, *where: Any, order: Any = None) -> list[dict[str, Any]]:
    query = select(table).where(*where)
    if order is not None:
        query = query.order_by(order)
    return [
        {key: _plain(value) for key, value in row.items()}
        for row in session.execute(query).mappings()
    ]


def _t(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _member_keys(user_id: int) -> Any:
    return or_(
        *(Delivery.key.like(f"{kind}:{user_id}:%") for kind in PLAN_KEYS),
        Delivery.key == f"examdone:{user_id}",
    )


def export_member(session: Session, user_id: int, now: datetime) -> dict[str, Any]:
    """Everything stored about the member, grouped and readable."""
    sessions = _rows(
        session, _t(PracticeSession), PracticeSession.user_id == user_id, order=PracticeSession.id
    )
    ids = [s["id"] for s in sessions]
    items = _rows(session, _t(SessionItem), SessionItem.session_id.in_(ids)) if ids else []
    for practice in sessions:
        practice["questions"] = [i for i in items if i["session_id"] == practice["id"]]
    return {
        "user_id": user_id,
        "exported_at": now.isoformat(),
        "preferences": _rows(session, _t(Member), Member.user_id == user_id),
        "study_plan": _rows(session, _t(Enrolment), Enrolment.user_id == user_id),
        "answers": _rows(session, _t(Answer), Answer.user_id == user_id, order=Answer.id),
        "practice_sessions": sessions,
        "review_cards": _rows(session, _t(ReviewCard), ReviewCard.user_id == user_id),
        "daily_drop_answers": _rows(session, _t(DailyAnswer), DailyAnswer.user_id == user_id),
        "question_flags": _rows(session, _t(QuestionFlag), QuestionFlag.user_id == user_id),
        "points": _rows(session, _t(PointAward), PointAward.user_id == user_id),
        "leaderboard_totals": _rows(
            session, _t(LeaderboardTotal), LeaderboardTotal.user_id == user_id
        ),
        "progress_totals": _rows(session, _t(ProgressTotal), ProgressTotal.user_id == user_id),
        "streaks": _rows(session, _t(Streak), Streak.user_id == user_id),
        "reminders_and_reports": _rows(session, _t(Delivery), _member_keys(user_id)),
    }


@dataclass(frozen=True)
class Deleted:
    rows: int  # rows removed in all
    answers: int


def delete_member(session: Session, user_id: int) -> Deleted:
    """Remove everything stored about the member; returns how much went."""
    answers = session.execute(delete(Answer).where(Answer.user_id == user_id)).rowcount  # type: ignore[attr-defined]
    total = answers
    sessions = select(PracticeSession.id).where(PracticeSession.user_id == user_id)
    for statement in (
        delete(SessionItem).where(SessionItem.session_id.in_(sessions)),
        delete(PracticeSession).where(PracticeSession.user_id == user_id),
        delete(ReviewCard).where(ReviewCard.user_id == user_id),
        delete(DailyAnswer).where(DailyAnswer.user_id == user_id),
        delete(QuestionFlag).where(QuestionFlag.user_id == user_id),
        delete(PointAward).where(PointAward.user_id == user_id),
        delete(LeaderboardTotal).where(LeaderboardTotal.user_id == user_id),
        delete(ProgressTotal).where(ProgressTotal.user_id == user_id),
        delete(Streak).where(Streak.user_id == user_id),
        delete(Delivery).where(_member_keys(user_id)),
        delete(Enrolment).where(Enrolment.user_id == user_id),
        delete(Member).where(Member.user_id == user_id),
    ):
        total += session.execute(statement).rowcount  # type: ignore[attr-defined]
    return Deleted(total, answers)


# -- guilds the bot leaves ------------------------------------------------------------------
def _guild(session: Session, guild_id: int, now: datetime) -> Guild:
    row = session.get(Guild, guild_id)
    if row is None:
        row = Guild(guild_id=guild_id, updated_at=now)
        session.add(row)
    return row


def guild_left(session: Session, guild_id: int, now: datetime) -> None:
    row = _guild(session, guild_id, now)
    row.left_at, row.updated_at = now, now


def guild_joined(session: Session, guild_id: int, now: datetime) -> None:
    row = _guild(session, guild_id, now)
    row.left_at, row.updated_at = None, now


def guilds_to_purge(session: Session, now: datetime) -> list[int]:
    return list(session.scalars(select(Guild.guild_id).where(Guild.left_at <= now - RETENTION)))


def purge_guild(session: Session, guild_id: int) -> int:
    """Remove a guild's data (it left more than RETENTION ago); returns the rows removed
    or untied. Its members keep their own history, no longer tied to the guild."""
    drops = list(session.scalars(select(DailyDrop.id).where(DailyDrop.guild_id == guild_id)))
    keys = [f"reveal:{d}" for d in drops]
    removed = 0
    for statement in _purges(guild_id, keys):
        removed += session.execute(statement).rowcount  # type: ignore[attr-defined]
    return removed


def _purges(guild_id: int, reveal_keys: Iterable[str]) -> list[Any]:
    keys = list(reveal_keys)
    guild_keys = or_(
        Delivery.key.like(f"daily:{guild_id}:%"),
        Delivery.key.like(f"summary:{guild_id}:%"),
        *([Delivery.key.in_(keys)] if keys else []),
    )
    drops = select(DailyDrop.id).where(DailyDrop.guild_id == guild_id)
    return [
        delete(DailyAnswer).where(DailyAnswer.drop_id.in_(drops)),
        delete(DailyDrop).where(DailyDrop.guild_id == guild_id),
        delete(GuildSettings).where(GuildSettings.guild_id == guild_id),
        delete(LeaderboardTotal).where(LeaderboardTotal.guild_id == guild_id),
        delete(PointAward).where(PointAward.guild_id == guild_id),
        delete(Streak).where(Streak.guild_id == guild_id),
        delete(Delivery).where(guild_keys),
        update(Answer).where(Answer.guild_id == guild_id).values(guild_id=None),
        update(PracticeSession).where(PracticeSession.guild_id == guild_id).values(guild_id=None),
        update(QuestionFlag).where(QuestionFlag.guild_id == guild_id).values(guild_id=None),
        update(Enrolment)
        .where(Enrolment.guild_id == guild_id)
        .values(guild_id=None, channel_id=None, deliver=Deliver.DM, next_at=None),
        delete(Guild).where(Guild.guild_id == guild_id),
    ]
