"""/export's contents: the missed questions as CSV and as an Anki package read back."""

from __future__ import annotations

import csv
import html
import io
import sqlite3
import zipfile
from datetime import timedelta
from pathlib import Path

from bot import exports
from bot.content import LETTERS, ContentStore, Question
from bot.db import Database
from bot.services import export
from bot.services.answers import record_answer
from tests.conftest import FIXED_NOW

USER = 6001


def wrong(q: Question) -> str:
    other = next(x for x in q.letters if x not in q.answer)
    return "".join(sorted((*q.answer[: q.choose - 1], other)))


async def history(db: Database, content: ContentStore) -> tuple[list[str], list[str]]:
    """Five questions: two missed last, one missed then fixed, two right."""
    qids = [content.by_domain["pipelines"][i] for i in range(4)]
    multi = next(q for q in content.by_domain["serving"] if content.questions[q].multiple)
    plan = [
        (qids[0], False, 0),
        (multi, False, 1),
        (qids[1], False, 2),
        (qids[1], True, 3),  # fixed since
        (qids[2], True, 4),
        (qids[3], True, 5),
    ]
    for qid, right, minutes in plan:
        q = content.questions[qid]
        await db.write(record_answer, content, user_id=USER, guild_id=None, question_id=qid,
            choice=q.key if right else wrong(q), source="quiz",
            now=FIXED_NOW + timedelta(minutes=minutes))  # fmt: skip
    return [multi, qids[0]], [qids[1], qids[2], qids[3]]  # latest miss first


async def test_misses_are_the_latest_wrong_answers(db: Database, content: ContentStore) -> None:
    missed_ids, _ = await history(db, content)
    missed = await db.read(export.misses, content, user_id=USER)
    assert [m.question.id for m in missed] == missed_ids
    multi = missed[0]
    assert multi.question.multiple
    assert multi.picked == wrong(multi.question)
    assert await db.read(export.misses, content, user_id=USER + 1) == []


async def test_csv_holds_options_key_explanation_and_links(
    db: Database, content: ContentStore
) -> None:
    await history(db, content)
    missed = await db.read(export.misses, content, user_id=USER)
    data = exports.to_csv(content, missed)
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM spreadsheets look for
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == [m.question.id for m in missed]
    for row, item in zip(rows, missed, strict=True):
        q = item.question
        assert row["question"] == q.stem
        for letter, option in zip(LETTERS, q.options, strict=False):
            assert row[f"option_{letter}"] == option
        assert row["answer"] == ",".join(q.answer)
        assert row["your_pick"] == ",".join(item.picked)
        assert row["explanation"] == q.explanation
        assert row["links"].split() == list(q.links)
        assert row["section"] == q.section
        assert row["domain"] == content.domain_name(q.domain)


def read_apkg(data: bytes, tmp_path: Path, name: str) -> list[tuple[str, int, list[str], str]]:
    """(guid, note type id, fields, tags) of every note in an .apkg, read as what it is:
    a zip holding an SQLite collection."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert "collection.anki2" in package.namelist()
        path = tmp_path / f"{name}.anki2"
        path.write_bytes(package.read("collection.anki2"))
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT guid, mid, flds, tags FROM notes ORDER BY sfld").fetchall()
        decks = conn.execute("SELECT decks, models FROM col").fetchone()
    assert exports.DECK_NAME in decks[0]
    assert str(exports.MODEL_ID) in decks[1]
    return [(g, mid, flds.split("\x1f"), tags.strip()) for g, mid, flds, tags in rows]


async def test_apkg_reads_back_with_stable_note_ids(
    db: Database, content: ContentStore, tmp_path: Path
) -> None:
    await history(db, content)
    missed = await db.read(export.misses, content, user_id=USER)
    first = read_apkg(exports.to_apkg(content, missed, FIXED_NOW), tmp_path, "first")
    assert len(first) == 2
    assert {mid for _, mid, _, _ in first} == {exports.MODEL_ID}  # one note type
    by_id = {
        fields[exports.FIELDS.index("Id")]: (guid, fields, tags) for guid, _, fields, tags in first
    }
    for item in missed:
        q = item.question
        guid, fields, tags = by_id[q.id]
        assert guid == exports.guid(q.id)
        named = dict(zip(exports.FIELDS, fields, strict=True))
        assert html.escape(q.stem)[:40] in named["Question"]
        assert named["Options"].count("<li>") == len(q.options)
        assert named["Answer"].startswith(f"{q.answer[0]}. ")
        assert all(link in named["Links"] for link in q.links)
        assert named["Explanation"] == html.escape(q.explanation).replace("\n", "<br>")
        assert q.domain in tags.split()

    # a later export (one more miss, a day on) keeps the guids: Anki updates, not copies
    more = [*missed, export.Missed(content.questions[content.by_domain["data"][0]], "A", FIXED_NOW)]
    later = read_apkg(
        exports.to_apkg(content, more, FIXED_NOW + timedelta(days=1)), tmp_path, "later"
    )
    guids = {g for g, _, _, _ in first}
    assert guids < {g for g, _, _, _ in later}
    assert len(later) == 3
