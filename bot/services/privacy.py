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
    LiveAnswer,
    LiveQuiz,
    LiveQuizItem,
    Member,
    MockDay,
    MockEntry,
    PointAward,
    PracticeSession,
    ProgressTotal,
    QuestionFlag,
    ReviewCard,
    ReviewLog,
    ReviewParams,
    SessionItem,
    Streak,
    StudyDay,
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


# What the export calls each table that holds a member's rows (by its `user_id` column).
# tests/test_privacy.py fails when a table with a user_id column is missing here.
MEMBER_TABLES: dict[str, Any] = {
    "preferences": Member,
    "study_plan": Enrolment,
    "answers": Answer,
    "review_cards": ReviewCard,
    "reviews": ReviewLog,
    "review_parameters": ReviewParams,
    "study_days": StudyDay,
    "daily_drop_answers": DailyAnswer,
    "live_quiz_answers": LiveAnswer,
    "mock_exam_day_entries": MockEntry,
    "question_flags": QuestionFlag,
    "points": PointAward,
    "leaderboard_totals": LeaderboardTotal,
    "progress_totals": ProgressTotal,
    "streaks": Streak,
}


def _sessions(user_id: int) -> Any:
    return select(PracticeSession.id).where(PracticeSession.user_id == user_id)


def _deliveries(session: Session, user_id: int) -> Any:
    """The member's own scheduled sends: plan reminders and reports, exam results and
    mock-exam-day DMs."""
    exams = [f"exam:{sid}" for sid in session.scalars(_sessions(user_id))]
    return or_(
        *(Delivery.key.like(f"{kind}:{user_id}:%") for kind in PLAN_KEYS),
        Delivery.key == f"examdone:{user_id}",
        Delivery.key.like(f"mock:%:{user_id}"),
        *([Delivery.key.in_(exams)] if exams else []),
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
    tables = {
        name: _rows(session, _t(model), model.user_id == user_id)
        for name, model in MEMBER_TABLES.items()
    }
    return {
        "user_id": user_id,
        "exported_at": now.isoformat(),
        **tables,
        "practice_sessions": sessions,
        "reminders_and_results": _rows(session, _t(Delivery), _deliveries(session, user_id)),
    }


@dataclass(frozen=True)
class Deleted:
    rows: int  # rows removed in all
    answers: int


def delete_member(session: Session, user_id: int) -> Deleted:
    """Remove everything stored about the member; returns how much went."""
    answers = session.execute(delete(Answer).where(Answer.user_id == user_id)).rowcount  # type: ignore[attr-defined]
    total = answers
    statements = [
        delete(Delivery).where(_deliveries(session, user_id)),  # needs the sessions: first
        delete(SessionItem).where(SessionItem.session_id.in_(_sessions(user_id))),
        delete(PracticeSession).where(PracticeSession.user_id == user_id),
        *(
            delete(model).where(model.user_id == user_id)
            for model in MEMBER_TABLES.values()
            if model is not Answer
        ),
    ]
    for statement in statements:
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
    quizzes = list(session.scalars(select(LiveQuiz.id).where(LiveQuiz.guild_id == guild_id)))
    days = list(session.scalars(select(MockDay.id).where(MockDay.guild_id == guild_id)))
    keys = [f"reveal:{d}" for d in drops]
    removed = 0
    for statement in [*_group_purges(quizzes, days), *_purges(guild_id, keys)]:
        removed += session.execute(statement).rowcount  # type: ignore[attr-defined]
    return removed


def _group_purges(quizzes: list[int], days: list[int]) -> list[Any]:
    """The guild's live quizzes and mock-exam days, with their answers, entries and sends;
    the members' own exam sessions of a mock day stay, like their other history."""
    sends = [
        *(Delivery.key.like(f"live:{q}:%") for q in quizzes),
        *(Delivery.key.like(f"mock:{d}:%") for d in days),
    ]
    return [
        *([delete(Delivery).where(or_(*sends))] if sends else []),
        delete(LiveAnswer).where(LiveAnswer.quiz_id.in_(quizzes)),
        delete(LiveQuizItem).where(LiveQuizItem.quiz_id.in_(quizzes)),
        delete(LiveQuiz).where(LiveQuiz.id.in_(quizzes)),
        delete(MockEntry).where(MockEntry.day_id.in_(days)),
        delete(MockDay).where(MockDay.id.in_(days)),
    ]


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
