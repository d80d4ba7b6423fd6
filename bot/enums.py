"""The words the database's string columns hold: statuses and kinds.

A StrEnum member is the plain string it names, so rows read back compare equal to these
and the columns stay plain strings (no migration, readable in any SQL client).
"""

from __future__ import annotations

from enum import StrEnum


class SessionKind(StrEnum):
    QUIZ = "quiz"
    EXAM = "exam"
    REVIEW = "review"


class SessionStatus(StrEnum):
    ACTIVE = "active"
    FINISHED = "finished"
    ABANDONED = "abandoned"
    EXPIRED = "expired"  # an exam whose time ran out (graded all the same)


class AnswerSource(StrEnum):
    QUIZ = "quiz"
    EXAM = "exam"
    REVIEW = "review"
    DAILY = "daily"
    GROUP = "group"  # a live group quiz (scored as practice)


class DropStatus(StrEnum):
    PENDING = "pending"  # claimed, not yet posted
    OPEN = "open"
    REVEALED = "revealed"
    FAILED = "failed"


class DeliveryStatus(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class DeliveryKind(StrEnum):
    DAILY = "daily"
    REVEAL = "reveal"
    SUMMARY = "summary"
    REMIND = "remind"
    NUDGE = "nudge"
    REPORT = "report"
    EXAMDONE = "examdone"
    EXAM = "exam"
    LIVE = "live"
    MOCK = "mock"


class EnrolmentStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"


class Deliver(StrEnum):
    DM = "dm"
    CHANNEL = "channel"


class DailyMode(StrEnum):
    ROTATE = "rotate"
    WEAK_SPOTS = "weak-spots"


class LiveStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"  # by /groupquiz stop
    ENDED = "ended"  # after a restart, or when the channel is gone


class MockStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"  # the Start button is up
    CLOSED = "closed"  # the window closed; waiting for started exams to end
    REPORTED = "reported"
    CANCELLED = "cancelled"
    MISSED = "missed"  # the whole window passed while the bot was down
    FAILED = "failed"  # the channel could not be posted in
