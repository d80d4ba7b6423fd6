"""Practice sessions and their items (quizzes, reviews and exams) as rows.

The quiz and exam flows read and write sessions only through these functions. Rows come
back as plain copies (`SessionRow`, `ItemRow`), not ORM objects: a flow changes a row by
saying which columns change (`update_session`, `update_item`). Every statement here is on
the hot path of a click, so each is `Prepared` (see bot/services/sql.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from bot.enums import SessionKind, SessionStatus
from bot.models import PracticeSession, SessionItem
from bot.services.errors import NotFound
from bot.services.sql import Prepared

SESSIONS: Table = PracticeSession.__table__  # type: ignore[assignment]
ITEMS: Table = SessionItem.__table__  # type: ignore[assignment]


@dataclass(slots=True)
class SessionRow:
    """A practice_sessions row (the columns, in table order)."""

    id: int
    user_id: int
    guild_id: int | None
    kind: str
    status: str
    scope: str
    size: int
    position: int
    correct: int
    started_at: datetime
    deadline_at: datetime | None
    finished_at: datetime | None
    result_delivered: bool


@dataclass(slots=True)
class ItemRow:
    """A session_items row (the columns, in table order)."""

    session_id: int
    position: int
    question_id: str
    choice: str | None
    correct: bool | None
    marked: bool
    shown_at: datetime | None
    answered_at: datetime | None


_SESSION_KEYS = tuple(c.key for c in SESSIONS.columns)
_NEW_SESSION = Prepared(
    insert(SESSIONS)
    .values({key: bindparam(key) for key in _SESSION_KEYS if key != "id"})
    .returning(SESSIONS.c.id)
)
_NEW_ITEM = Prepared(insert(ITEMS).values({c.key: bindparam(c.key) for c in ITEMS.columns}))
# FOR UPDATE locks the row on PostgreSQL; SQLite writers already hold the database lock
_SESSION_BY_ID = select(SESSIONS).where(SESSIONS.c.id == bindparam("sid"))
_SESSION = Prepared(_SESSION_BY_ID)
_SESSION_LOCKED = Prepared(_SESSION_BY_ID.with_for_update())
_ITEM = Prepared(
    select(ITEMS).where(
        ITEMS.c.session_id == bindparam("sid"), ITEMS.c.position == bindparam("pos")
    )
)
_ITEMS = Prepared(
    select(ITEMS).where(ITEMS.c.session_id == bindparam("sid")).order_by(ITEMS.c.position)
)
_PREVIOUS_SET = Prepared(
    select(ITEMS.c.question_id).where(
        ITEMS.c.session_id
        == select(SESSIONS.c.id)
        .where(
            SESSIONS.c.user_id == bindparam("user"),
            SESSIONS.c.kind == SessionKind.QUIZ,
            SESSIONS.c.scope == bindparam("scope"),
        )
        .order_by(SESSIONS.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
)
_ACTIVE_OF_KIND: dict[tuple[SessionKind, ...], Prepared] = {
    kinds: Prepared(
        update(SESSIONS)
        .where(
            SESSIONS.c.user_id == bindparam("user"),
            SESSIONS.c.status == SessionStatus.ACTIVE,
            or_(*(SESSIONS.c.kind == kind for kind in kinds)),
        )
        .values(status=SessionStatus.ABANDONED, finished_at=bindparam("now"))
    )
    for kinds in ((SessionKind.QUIZ, SessionKind.REVIEW), (SessionKind.EXAM,))
}
_SESSION_WHERE = SESSIONS.c.id == bindparam("sid")
_ITEM_WHERE = (ITEMS.c.session_id == bindparam("sid"), ITEMS.c.position == bindparam("pos"))
_updates: dict[tuple[str, tuple[str, ...]], Prepared] = {}


def create(
    session: Session,
    *,
    user_id: int,
    guild_id: int | None,
    kind: SessionKind,
    scope: str,
    question_ids: list[str],
    now: datetime,
    deadline: datetime | None = None,
) -> SessionRow:
    """Insert a session and its items (the first shown now); returns the session."""
    values: dict[str, Any] = {
        "user_id": user_id,
        "guild_id": guild_id,
        "kind": kind,
        "status": SessionStatus.ACTIVE,
        "scope": scope,
        "size": len(question_ids),
        "position": 0,
        "correct": 0,
        "started_at": now,
        "deadline_at": deadline,
        "finished_at": None,
        "result_delivered": False,
    }
    new_id = _NEW_SESSION.scalar(session, values)
    _NEW_ITEM.run_many(
        session,
        [
            {
                "session_id": new_id,
                "position": i,
                "question_id": qid,
                "choice": None,
                "correct": None,
                "marked": False,
                "shown_at": now if i == 0 else None,
                "answered_at": None,
            }
            for i, qid in enumerate(question_ids)
        ],
    )
    return SessionRow(id=new_id, **values)


def abandon_active(
    session: Session, user_id: int, kinds: tuple[SessionKind, ...], now: datetime
) -> int:
    """Close the member's active sessions of these kinds; returns how many were open."""
    return _ACTIVE_OF_KIND[kinds].run(session, {"user": user_id, "now": now})


def discard_unseen(session: Session, session_id: int) -> bool:
    """Delete a session its member never saw (the reply that would have shown it came too
    late for Discord) if it is still active with nothing answered; whether it was."""
    practice = session.execute(
        select(SESSIONS.c.status).where(SESSIONS.c.id == session_id).with_for_update()
    ).first()
    answered = session.execute(
        select(ITEMS.c.position).where(
            ITEMS.c.session_id == session_id, ITEMS.c.answered_at.is_not(None)
        )
    ).first()
    if practice is None or practice.status != SessionStatus.ACTIVE or answered is not None:
        return False
    session.execute(delete(ITEMS).where(ITEMS.c.session_id == session_id))
    session.execute(delete(SESSIONS).where(SESSIONS.c.id == session_id))
    return True


def active_of(session: Session, user_id: int, kind: SessionKind) -> SessionRow | None:
    """The member's active session of `kind`, if any."""
    row = session.execute(
        select(SESSIONS).where(
            SESSIONS.c.user_id == user_id,
            SESSIONS.c.kind == kind,
            SESSIONS.c.status == SessionStatus.ACTIVE,
        )
    ).first()
    return SessionRow(*row) if row is not None else None


def previous_set(session: Session, user_id: int, scope: str) -> frozenset[str]:
    """The questions of the member's last quiz on `scope`."""
    rows = _PREVIOUS_SET.rows(session, {"user": user_id, "scope": scope})
    return frozenset(row[0] for row in rows)


def get(session: Session, session_id: int, *, lock: bool = False) -> SessionRow:
    row = (_SESSION_LOCKED if lock else _SESSION).first(session, {"sid": session_id})
    if row is None:
        raise NotFound("That session no longer exists.")
    return SessionRow(*row)


def item(session: Session, session_id: int, position: int) -> ItemRow:
    row = _ITEM.first(session, {"sid": session_id, "pos": position})
    if row is None:
        raise NotFound("That question is not part of this session.")
    return ItemRow(*row)


def items(session: Session, session_id: int) -> list[ItemRow]:
    return [ItemRow(*row) for row in _ITEMS.rows(session, {"sid": session_id})]


def _update(table: str, columns: tuple[str, ...]) -> Prepared:
    """UPDATE of `columns` (bind parameters named after them) for one session or item."""
    key = (table, columns)
    prepared = _updates.get(key)
    if prepared is None:
        target, where = (SESSIONS, (_SESSION_WHERE,)) if table == "s" else (ITEMS, _ITEM_WHERE)
        changes: dict[str, Any] = {c: bindparam(f"v_{c}") for c in columns}
        prepared = _updates[key] = Prepared(update(target).where(*where).values(changes))
    return prepared


def update_session(session: Session, row: SessionRow, *columns: str) -> None:
    """Write `columns` of `row` (changed in place by the caller) to its session."""
    params = {f"v_{c}": getattr(row, c) for c in columns}
    _update("s", columns).run(session, {"sid": row.id, **params})


def update_item(session: Session, row: ItemRow, *columns: str) -> None:
    """Write `columns` of `row` (changed in place by the caller) to its item."""
    params = {f"v_{c}": getattr(row, c) for c in columns}
    _update("i", columns).run(session, {"sid": row.session_id, "pos": row.position, **params})


def expired_exams(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Active exams whose deadline has passed, oldest first."""
    rows = session.execute(
        select(SESSIONS.c.id)
        .where(
            SESSIONS.c.kind == SessionKind.EXAM,
            SESSIONS.c.status == SessionStatus.ACTIVE,
            SESSIONS.c.deadline_at <= now,
        )
        .order_by(SESSIONS.c.deadline_at)
        .limit(limit)
    )
    return [row[0] for row in rows]
