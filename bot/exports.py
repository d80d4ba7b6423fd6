"""The files /export sends: the missed questions as an Anki deck (.apkg) or a CSV.

Both carry each question's stem, lettered options, key, explanation and documentation
links. The Anki deck has one note type ("PMLE study bot question") whose fields are those;
each note's guid is derived from the question id alone, so importing a newer export into
Anki updates the notes already there instead of adding copies. The deck and the note type
keep fixed ids for the same reason.

Building a file is blocking work (genanki writes an SQLite collection and zips it): run it
in a thread, `await asyncio.to_thread(to_apkg, missed, now)`.
"""

from __future__ import annotations

import csv
import html
import io
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import genanki

from bot.content import LETTERS, ContentStore
from bot.services.export import Missed

# Chosen once at random (genanki's advice) and never changed: Anki matches on them
MODEL_ID = 1_607_392_319
DECK_ID = 2_059_400_110
GUID_NAMESPACE = "pmle-study-bot"
DECK_NAME = "PMLE study bot: questions to revisit"
FIELDS = ("Question", "Options", "Answer", "Explanation", "Links", "Id", "Topic")
CSV_COLUMNS = (
    "id",
    "domain",
    "section",
    "difficulty",
    "question",
    *(f"option_{letter}" for letter in LETTERS),
    "answer",
    "your_pick",
    "explanation",
    "links",
    "last_answered",
)
CSS = """.card { font-family: sans-serif; font-size: 18px; text-align: left; }
.options li { margin: 4px 0; } .key { font-weight: bold; } .meta { color: #607d8b; }"""
MODEL = genanki.Model(
    MODEL_ID,
    "PMLE study bot question",
    fields=[{"name": name} for name in FIELDS],
    templates=[
        {
            "name": "Question",
            "qfmt": "{{Question}}<ol class=options type=A>{{Options}}</ol>"
            "<div class=meta>{{Topic}} · {{Id}}</div>",
            "afmt": "{{FrontSide}}<hr id=answer><div class=key>{{Answer}}</div>"
            "<p>{{Explanation}}</p><p>{{Links}}</p>",
        }
    ],
    css=CSS,
)


def guid(question_id: str) -> str:
    """The note's guid: the same for a question in every export."""
    return str(genanki.guid_for(GUID_NAMESPACE, question_id))


def _text(value: str) -> str:
    return html.escape(value).replace("\n", "<br>")


def note(content: ContentStore, missed: Missed) -> genanki.Note:
    q = missed.question
    options = "".join(f"<li>{_text(option)}</li>" for option in q.options)
    key = ", ".join(f"{letter}. {q.options[LETTERS.index(letter)]}" for letter in q.answer)
    stem = q.stem + (f" (Pick {q.choose}.)" if q.multiple else "")
    links = "<br>".join(f'<a href="{html.escape(url)}">{_text(url)}</a>' for url in q.links)
    topic = f"{content.domain_name(q.domain)} · section {q.section}"
    return genanki.Note(
        model=MODEL,
        fields=[_text(stem), options, _text(key), _text(q.explanation), links, q.id, _text(topic)],
        tags=[q.domain, f"{q.domain}::{q.subtopic}", f"section::{q.section}"],
        guid=guid(q.id),
    )


def to_apkg(content: ContentStore, missed: Sequence[Missed], now: datetime) -> bytes:
    """The missed questions as an Anki package (a zip holding an SQLite collection)."""
    deck = genanki.Deck(DECK_ID, DECK_NAME)
    for item in missed:
        deck.add_note(note(content, item))
    with tempfile.TemporaryDirectory(prefix="studybot-export-") as folder:
        path = Path(folder) / "deck.apkg"
        genanki.Package(deck).write_to_file(str(path), timestamp=now.timestamp())
        return path.read_bytes()


def to_csv(content: ContentStore, missed: Sequence[Missed]) -> bytes:
    """The missed questions as CSV (UTF-8 with a byte-order mark, which Excel needs)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in missed:
        q = item.question
        options = [*q.options, *[""] * (len(LETTERS) - len(q.options))]
        writer.writerow(
            [
                q.id,
                content.domain_name(q.domain),
                q.section,
                q.difficulty,
                q.stem,
                *options,
                ",".join(q.answer),
                ",".join(item.picked),
                q.explanation,
                " ".join(q.links),
                item.answered_at.isoformat(timespec="seconds"),
            ]
        )
    return out.getvalue().encode("utf-8-sig")
