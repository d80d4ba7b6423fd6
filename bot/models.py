"""The database schema: SQLAlchemy 2 ORM tables shared by SQLite and PostgreSQL.

Everything a member can click on, and everything the scheduler must deliver exactly once,
is a row here; nothing that matters lives only in memory.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Snowflake = BigInteger


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), date: Date()}


class Meta(Base):
    """Small key-value facts about this installation (e.g. the synced command hash)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Guild(Base):
    """A guild the bot serves or served: its own timezone (leaderboard weeks, the Monday
    summary) and, once the bot has left it, when (its data goes 30 days later)."""

    __tablename__ = "guilds"
    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    timezone: Mapped[str | None] = mapped_column(String(64))
    left_at: Mapped[datetime | None] = mapped_column(index=True)
    updated_at: Mapped[datetime]


class Member(Base):
    """A Discord user, app-wide: DM channel, DM state and report preference."""

    __tablename__ = "members"
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    dm_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    dms_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    reports_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    nudges_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class PracticeSession(Base):
    """A /quiz, /exam or /review session; its questions are `SessionItem` rows."""

    __tablename__ = "practice_sessions"
    __table_args__ = (
        Index("ix_practice_sessions_user_status", "user_id", "status"),
        Index("ix_practice_sessions_status_deadline", "status", "deadline_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Snowflake)
    guild_id: Mapped[int | None] = mapped_column(Snowflake)
    kind: Mapped[str] = mapped_column(String(16))  # quiz | exam | review
    status: Mapped[str] = mapped_column(String(16))  # active | finished | abandoned | expired
    scope: Mapped[str] = mapped_column(String(32))  # domain id, mixed, official, domains
    size: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime]
    deadline_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    result_delivered: Mapped[bool] = mapped_column(Boolean, default=False)


class SessionItem(Base):
    """One question of a session, in order, with the member's pick."""

    __tablename__ = "session_items"
    session_id: Mapped[int] = mapped_column(
        ForeignKey("practice_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    question_id: Mapped[str] = mapped_column(String(40))
    choice: Mapped[str | None] = mapped_column(String(8))
    correct: Mapped[bool | None] = mapped_column(Boolean)
    marked: Mapped[bool] = mapped_column(Boolean, default=False)
    shown_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]


class Answer(Base):
    """Every answer a member gives, from any source; the history behind all statistics."""

    __tablename__ = "answers"
    __table_args__ = (
        Index("ix_answers_user_question", "user_id", "question_id"),
        Index("ix_answers_user_time", "user_id", "answered_at"),
        Index("ix_answers_guild_time", "guild_id", "answered_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Snowflake)
    guild_id: Mapped[int | None] = mapped_column(Snowflake)
    question_id: Mapped[str] = mapped_column(String(40))
    domain: Mapped[str] = mapped_column(String(32))
    subtopic: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # quiz | exam | review | daily
    choice: Mapped[str] = mapped_column(String(8))
    correct: Mapped[bool] = mapped_column(Boolean)
    response_ms: Mapped[int | None] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer, default=0)
    session_id: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime]


class PointAward(Base):
    """The first correct practice answer to a question in an ISO week; points once."""

    __tablename__ = "point_awards"
    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    question_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    iso_week: Mapped[str] = mapped_column(String(8), primary_key=True)


class LeaderboardTotal(Base):
    """Running totals per guild, period (all, 2026-W48, 2026-11) and domain (* for all)."""

    __tablename__ = "leaderboard_totals"
    __table_args__ = (
        Index("ix_leaderboard_rank", "guild_id", "period", "domain", "points", "correct"),
    )
    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    domain: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    points: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    reached_at: Mapped[datetime]


class ProgressTotal(Base):
    """Running totals per member, period (all or ISO week) and topic (*, domain, domain.sub)."""

    __tablename__ = "progress_totals"
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    topic: Mapped[str] = mapped_column(String(100), primary_key=True)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)


class QuestionStat(Base):
    """Item statistics: how often a question is answered, answered right, and flagged."""

    __tablename__ = "question_stats"
    question_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    flags: Mapped[int] = mapped_column(Integer, default=0)


class OptionPick(Base):
    """How often each option of a question is picked."""

    __tablename__ = "option_picks"
    question_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    letter: Mapped[str] = mapped_column(String(1), primary_key=True)
    picks: Mapped[int] = mapped_column(Integer, default=0)


class QuestionFlag(Base):
    """A member's report that a question is wrong or unclear."""

    __tablename__ = "question_flags"
    __table_args__ = (UniqueConstraint("question_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[str] = mapped_column(String(40), index=True)
    user_id: Mapped[int] = mapped_column(Snowflake)
    guild_id: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime]
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)


class ReviewCard(Base):
    """A member's FSRS card for one question.

    `card` is the whole fsrs Card; `due_at`, `stability` and `last_review` repeat what the
    forecast and the exam-date plan read, so they need not parse the JSON of every card.
    `due_at` is FSRS's own due moment (with an exam date, /review plans from it).
    """

    __tablename__ = "review_cards"
    __table_args__ = (Index("ix_review_cards_user_due", "user_id", "due_at"),)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    question_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    card: Mapped[str] = mapped_column(Text)  # fsrs Card.to_json()
    due_at: Mapped[datetime]
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    stability: Mapped[float | None] = mapped_column(Float)  # days, as FSRS keeps it
    last_review: Mapped[datetime | None]


class ReviewLog(Base):
    """Every FSRS review, as fsrs's ReviewLog has it: what the optimizer learns from."""

    __tablename__ = "review_logs"
    __table_args__ = (Index("ix_review_logs_user_time", "user_id", "reviewed_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Snowflake)
    question_id: Mapped[str] = mapped_column(String(40))
    rating: Mapped[int] = mapped_column(Integer)  # fsrs Rating: 1 Again, 3 Good
    reviewed_at: Mapped[datetime]
    duration_ms: Mapped[int | None] = mapped_column(Integer)


class ReviewParams(Base):
    """A member's FSRS parameters (None: the defaults) and what the weekly fit needs."""

    __tablename__ = "review_params"
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    parameters: Mapped[str | None] = mapped_column(Text)  # JSON list of the FSRS weights
    reviews: Mapped[int] = mapped_column(Integer, default=0)  # review logs kept
    fitted_on: Mapped[int] = mapped_column(Integer, default=0)  # reviews at the last fit
    fitted_at: Mapped[datetime | None]  # when the last fit was claimed


class StudyDay(Base):
    """A local date (in the member's timezone) on which the member answered a question."""

    __tablename__ = "study_days"
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    answered: Mapped[int] = mapped_column(Integer, default=0)


class GuildSettings(Base):
    """A guild's daily-drop setup."""

    __tablename__ = "guild_settings"
    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    post_time: Mapped[str] = mapped_column(String(5))  # HH:MM local
    timezone: Mapped[str] = mapped_column(String(64))
    role_id: Mapped[int | None] = mapped_column(Snowflake)
    domains: Mapped[str] = mapped_column(String(200))  # comma separated domain ids
    reveal_after_hours: Mapped[int] = mapped_column(Integer, default=12)
    mode: Mapped[str] = mapped_column(String(16), default="rotate", server_default="rotate")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    pause_reason: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    setup_by: Mapped[int] = mapped_column(Snowflake)
    shard_key: Mapped[int] = mapped_column(Integer, default=0)
    # When the drops were set up or resumed: a day's drop is due only if its moment is
    # later (a change of time, timezone or channel keeps it). See bot/services/daily.py.
    updated_at: Mapped[datetime]


class DailyDrop(Base):
    """One day's question in one guild: unique per guild, local date and the timezone it
    was the date in (NULL for drops made before the timezone was kept)."""

    __tablename__ = "daily_drops"
    __table_args__ = (
        UniqueConstraint("guild_id", "local_date", "timezone"),
        Index("ix_daily_drops_status_reveal", "status", "reveal_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(ForeignKey("guild_settings.guild_id", ondelete="CASCADE"))
    local_date: Mapped[date]
    timezone: Mapped[str | None] = mapped_column(String(64))
    question_id: Mapped[str] = mapped_column(String(40))
    channel_id: Mapped[int] = mapped_column(Snowflake)
    message_id: Mapped[int | None] = mapped_column(Snowflake)
    thread_id: Mapped[int | None] = mapped_column(Snowflake)
    status: Mapped[str] = mapped_column(String(16))  # pending | open | revealed | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime]
    posted_at: Mapped[datetime | None]
    reveal_at: Mapped[datetime]
    revealed_at: Mapped[datetime | None]
    answers: Mapped[int] = mapped_column(Integer, default=0)
    shown_answers: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(Text)  # why weak-spots mode picked it


class DailyAnswer(Base):
    """A member's one answer to one drop."""

    __tablename__ = "daily_answers"
    drop_id: Mapped[int] = mapped_column(
        ForeignKey("daily_drops.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    choice: Mapped[str] = mapped_column(String(8))
    correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime]


class Streak(Base):
    """Consecutive drops answered correctly, per member per guild."""

    __tablename__ = "streaks"
    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    current: Mapped[int] = mapped_column(Integer, default=0)
    best: Mapped[int] = mapped_column(Integer, default=0)
    last_drop_date: Mapped[date | None]


class Enrolment(Base):
    """A member's place in the 12-week study plan."""

    __tablename__ = "enrolments"
    __table_args__ = (Index("ix_enrolments_status_next", "status", "next_at"),)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    guild_id: Mapped[int | None] = mapped_column(Snowflake)
    channel_id: Mapped[int | None] = mapped_column(Snowflake)
    timezone: Mapped[str] = mapped_column(String(64))
    start_date: Mapped[date]
    exam_date: Mapped[date | None]
    weeks: Mapped[int] = mapped_column(Integer, default=12)
    reminder_time: Mapped[str] = mapped_column(String(5))
    reminder_day: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    deliver: Mapped[str] = mapped_column(String(8))  # dm | channel
    status: Mapped[str] = mapped_column(String(16))  # active | paused | finished | stopped
    paused_on: Mapped[date | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    # When the plan's sends start: the enrolment, or the moment of a kickoff the plan still
    # owed when a move east put it before the enrolment (bot/services/plan_timezone.py)
    created_at: Mapped[datetime]
    # Nothing of this enrolment can fall due before next_at (None: not worked out yet), so
    # a plan tick reads only the rows whose moment has come. See bot/services/plan_due.py.
    next_at: Mapped[datetime | None]


class Delivery(Base):
    """A scheduled send, keyed so that it can happen only once (e.g. daily:<guild>:<date>).

    A claim is a lease (see bot/services/deliveries.py): `lease_until` is renewed while its
    sender lives, and a claim whose lease lapsed is taken over by whoever tries it next.
    """

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_status", "status", "claimed_at"),)
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # claimed | sent | failed | skipped
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime]  # the first claim: an attempt may have reached Discord since
    lease_until: Mapped[datetime | None]  # a claim nobody renewed past this is taken over
    finished_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    detail: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(Snowflake)  # the message the member sees


class LiveQuiz(Base):
    """A live group quiz in a channel: one question at a time, revealed to everyone.

    `live_channel_id` holds the channel while the quiz runs (NULL once it ended): its unique
    constraint makes "one live quiz per channel" hold across processes.
    """

    __tablename__ = "live_quizzes"
    __table_args__ = (Index("ix_live_quizzes_status_next", "status", "next_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    live_channel_id: Mapped[int | None] = mapped_column(Snowflake, unique=True)
    started_by: Mapped[int] = mapped_column(Snowflake)
    scope: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # running | finished | stopped | ended
    position: Mapped[int] = mapped_column(Integer, default=-1)  # the question shown (or last)
    participants: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime | None]  # when the next question (or the scoreboard) is due
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    end_note: Mapped[str | None] = mapped_column(Text)


class LiveQuizItem(Base):
    """One question of a live quiz: its message, its timer and its reveal."""

    __tablename__ = "live_quiz_items"
    quiz_id: Mapped[int] = mapped_column(
        ForeignKey("live_quizzes.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    question_id: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[int | None] = mapped_column(Snowflake)
    shown_at: Mapped[datetime | None]
    deadline_at: Mapped[datetime | None]
    revealed_at: Mapped[datetime | None]  # set once, by whoever claims the reveal
    answers: Mapped[int] = mapped_column(Integer, default=0)


class LiveAnswer(Base):
    """A member's one answer to one question of a live quiz."""

    __tablename__ = "live_answers"
    quiz_id: Mapped[int] = mapped_column(
        ForeignKey("live_quizzes.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    choice: Mapped[str] = mapped_column(String(8))
    correct: Mapped[bool] = mapped_column(Boolean)
    response_ms: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime]


class MockDay(Base):
    """A group mock-exam day: one question set, a start window, a group result."""

    __tablename__ = "mock_days"
    __table_args__ = (Index("ix_mock_days_status_starts", "status", "starts_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    scheduled_by: Mapped[int] = mapped_column(Snowflake)
    timezone: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    closes_at: Mapped[datetime]  # the start window's end
    length: Mapped[str] = mapped_column(String(8))  # full | half
    scheme: Mapped[str] = mapped_column(String(16))  # official | domains
    question_ids: Mapped[str] = mapped_column(Text)  # comma separated, the set everyone gets
    status: Mapped[str] = mapped_column(String(16))  # scheduled | open | closed | reported | …
    message_id: Mapped[int | None] = mapped_column(Snowflake)
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class MockEntry(Base):
    """A member's start of a mock-exam day: their exam session (one per member)."""

    __tablename__ = "mock_entries"
    day_id: Mapped[int] = mapped_column(
        ForeignKey("mock_days.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    session_id: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
