"""/quiz and /review end to end: answers, multiple select, other members, double clicks,
restarts, flags; the database checked after each journey."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.app import StudyBot
from bot.content import ContentStore, Question
from bot.db import Database
from bot.models import Answer, PracticeSession, QuestionFlag, ReviewCard
from bot.services.answers import record_answer
from tests.conftest import FIXED_NOW, get, scalar, scalars
from tests.e2e.conftest import Clock, Runner, World
from tests.emulator import DiscordEmulator, EmulatorError, Message

DOMAIN = "serving"


def shown_question(content: ContentStore, message: Message) -> Question:
    """The question a quiz message shows (its id is the last part of the footer)."""
    footer = message.embeds[0]["footer"]["text"]
    return content.questions[footer.rsplit("· ", 1)[-1].strip()]


def wrong(q: Question) -> str:
    """A wrong pick with as many letters as the question asks for."""
    other = next(x for x in q.letters if x not in q.answer)
    return "".join(sorted((*q.answer[: q.choose - 1], other)))


async def leave_unseen(url: str, content: ContentStore, user_id: int, keep: list[str]) -> None:
    """Answer every question of DOMAIN except `keep`, so that the next quiz shows `keep`."""
    db = Database.from_url(url)
    for qid in content.by_domain[DOMAIN]:
        if qid not in keep:
            q = content.questions[qid]
            await db.write(
                record_answer,
                content,
                user_id=user_id,
                guild_id=None,
                question_id=qid,
                choice=q.key,
                source="quiz",
                now=FIXED_NOW.replace(year=2025),
            )
    await db.close()


async def answer(
    emu: DiscordEmulator,
    world: World,
    content: ContentStore,
    message: Message,
    choice: str | None = None,
) -> Message:
    """Answer the shown question (right unless `choice` is given) as alice."""
    q = shown_question(content, message)
    pick = choice or q.key
    if q.multiple:
        select = message.selects()[0]
        result = await emu.select(world.alice, message, select["custom_id"], sorted(pick))
    else:
        button = next(b for b in message.buttons() if b["custom_id"].endswith(f":{pick}"))
        result = await emu.click(world.alice, message, button["custom_id"])
    assert result.type == 7  # the message is updated in place
    assert result.message is not None
    return result.message


async def next_question(emu: DiscordEmulator, world: World, message: Message) -> Message:
    button = next(b for b in message.buttons() if b["custom_id"].startswith("quiz:n:"))
    result = await emu.click(world.alice, message, button["custom_id"])
    assert result.message is not None
    return result.message


async def test_full_quiz_with_wrong_and_multiple_select_answers(
    emulator: DiscordEmulator,
    world: World,
    runner: Runner,
    content: ContentStore,
    sqlite_db_url: str,
) -> None:
    singles = [q for q in content.by_domain[DOMAIN] if not content.questions[q].multiple][:4]
    multi = next(q for q in content.by_domain[DOMAIN] if content.questions[q].multiple)
    await leave_unseen(sqlite_db_url, content, world.alice.id, [*singles, multi])
    bot = await runner.start()

    start = await emulator.slash(
        world.alice, world.channel, "quiz", {"domain": DOMAIN, "questions": 5}
    )
    assert start.ephemeral
    message = start.message
    assert message is not None
    seen, verdicts = [], []
    sent: dict[str, str] = {}
    for position in range(5):
        q = shown_question(content, message)
        seen.append(q.id)
        assert message.embeds[0]["title"].endswith(f"question {position + 1} of 5")
        choice = wrong(q) if position == 0 else None
        sent[q.id] = choice or q.key
        message = await answer(emulator, world, content, message, choice)
        verdict = next(f["name"] for f in message.embeds[0]["fields"])
        verdicts.append(verdict)
        explanation = {f["name"]: f["value"] for f in message.embeds[0]["fields"]}
        assert f"Answer: {', '.join(q.answer)}" in explanation
        assert q.links[0] in explanation["Read more"]
        assert any(b["custom_id"].startswith("quiz:f:") for b in message.buttons())
        message = await next_question(emulator, world, message)

    assert sorted(seen) == sorted([*singles, multi])
    assert verdicts[0].startswith("Not quite")
    assert all(v == "Right!" for v in verdicts[1:])
    summary = message.embeds[0]
    assert summary["title"].startswith("Quiz finished: 4/5")
    names = [f["name"] for f in summary["fields"]]
    assert names == ["By subtopic", "Time", "Next step"]
    weakest = next(b for b in message.buttons() if b["custom_id"].startswith("plan:q:serving."))
    assert weakest["label"].startswith("Drill ")

    rows = list(
        await scalars(
            bot.db,
            select(Answer).where(Answer.user_id == world.alice.id, Answer.session_id.is_not(None)),
        )
    )
    practice = await scalar(bot.db, select(PracticeSession))
    assert len(rows) == 5
    assert sum(a.correct for a in rows) == 4
    assert {a.question_id for a in rows} == set(seen)
    assert practice is not None
    assert (practice.status, practice.correct, practice.position) == ("finished", 4, 5)
    multi_row = next(a for a in rows if a.question_id == multi)
    assert multi_row.choice == sent[multi]  # both letters of the pick, sorted
    assert len(multi_row.choice) == content.questions[multi].choose
    assert all(a.guild_id == world.guild.id for a in rows)

    # the summary's drill button starts a quiz on the weakest subtopic
    drill = await emulator.click(world.alice, message, weakest["custom_id"])
    assert drill.type == 4
    assert drill.message is not None
    first = shown_question(content, drill.message)
    assert f"{first.domain}.{first.subtopic}" == weakest["custom_id"].removeprefix("plan:q:")
    emulator.assert_clean()


async def test_other_members_and_double_clicks(
    emulator: DiscordEmulator, world: World, bot: StudyBot, content: ContentStore
) -> None:
    start = await emulator.slash(world.alice, world.channel, "quiz", {"questions": 5})
    message = start.message
    assert message is not None
    q = shown_question(content, message)

    def send(user: object) -> object:
        if q.multiple:
            menu = message.selects()[0]["custom_id"]
            return emulator.select(user, message, menu, sorted(q.answer))  # type: ignore[arg-type]
        return emulator.click(user, message, f"quiz:a:1:0:{q.answer[0]}")  # type: ignore[arg-type]

    # Discord shows an ephemeral quiz only to its owner; a modified client could still send
    # the click, so the bot checks. Let bob "see" the message to send that forged click.
    message.visible_to = world.bob.id
    intruder = await send(world.bob)  # type: ignore[misc]
    assert intruder.ephemeral
    assert "not your quiz" in intruder.content
    message.visible_to = world.alice.id
    first, second = await asyncio.gather(send(world.alice), send(world.alice))  # type: ignore[call-overload]
    # both update the message in place with the same feedback: the second click may be a
    # member retrying after a lost response, so it replays the first one's result
    assert [first.type, second.type] == [7, 7]
    assert first.message is not None
    assert second.message is not None
    assert first.message.embeds[0]["fields"][0] == second.message.embeds[0]["fields"][0]
    assert any(b["custom_id"].startswith("quiz:n:") for b in second.message.buttons())

    assert await scalar(bot.db, select(func.count()).select_from(Answer)) == 1
    assert (
        await scalar(
            bot.db, select(func.count()).select_from(Answer).where(Answer.user_id == world.bob.id)
        )
        == 0
    )
    emulator.assert_clean()


async def test_restart_mid_quiz_then_next_click_works(
    emulator: DiscordEmulator, world: World, runner: Runner, content: ContentStore
) -> None:
    await runner.start()
    start = await emulator.slash(world.alice, world.channel, "quiz", {"questions": 5})
    assert start.message is not None
    message = await answer(emulator, world, content, start.message)
    bot = await runner.restart()
    message = await next_question(emulator, world, message)
    assert message.embeds[0]["title"].endswith("question 2 of 5")
    message = await answer(emulator, world, content, message)
    practice = await scalar(bot.db, select(PracticeSession))
    assert practice is not None
    assert practice.position == 2
    emulator.assert_clean()


async def test_a_new_quiz_abandons_the_old_one(
    emulator: DiscordEmulator, world: World, bot: StudyBot
) -> None:
    await emulator.slash(world.alice, world.channel, "quiz", {"questions": 5})
    second = await emulator.slash(world.alice, world.channel, "quiz", {"questions": 5})
    assert "previous quiz was closed" in second.content
    statuses = sorted(await scalars(bot.db, select(PracticeSession.status)))
    assert statuses == ["abandoned", "active"]
    emulator.assert_clean()


async def test_flag_a_question(
    emulator: DiscordEmulator, world: World, bot: StudyBot, content: ContentStore
) -> None:
    start = await emulator.slash(world.alice, world.channel, "quiz", {"questions": 5})
    assert start.message is not None
    message = await answer(emulator, world, content, start.message)
    flag = next(b for b in message.buttons() if b["custom_id"].startswith("quiz:f:"))
    first = await emulator.click(world.alice, message, flag["custom_id"])
    again = await emulator.click(world.alice, message, flag["custom_id"])
    assert first.ephemeral
    assert "flagged for the admins" in first.content
    assert "already flagged" in again.content
    listing = await emulator.slash(world.admin, world.channel, "studyadmin flags")
    q = shown_question(content, message)
    assert f"`{q.id}` — 1 report" in listing.embeds[0]["description"]
    hardest = await emulator.slash(world.admin, world.channel, "studyadmin questions")
    assert f"`{q.id}`" in hardest.embeds[0]["description"]
    assert "🚩1" in hardest.embeds[0]["description"]
    with pytest.raises(EmulatorError, match="needs permissions"):  # Discord hides it
        await emulator.slash(world.alice, world.channel, "studyadmin flags")
    assert await scalar(bot.db, select(func.count()).select_from(QuestionFlag)) == 1
    emulator.assert_clean()


async def test_review_session(
    emulator: DiscordEmulator, world: World, bot: StudyBot, content: ContentStore, clock: Clock
) -> None:
    empty = await emulator.slash(world.alice, world.channel, "review")
    assert "Nothing to review yet" in empty.content
    start = await emulator.slash(world.alice, world.channel, "quiz", {"questions": 5})
    assert start.message is not None
    missed = shown_question(content, start.message)
    await answer(emulator, world, content, start.message, wrong(missed))
    not_yet = await emulator.slash(world.alice, world.channel, "review")
    assert "Nothing is due right now" in not_yet.content
    clock.advance(minutes=15)
    review = await emulator.slash(world.alice, world.channel, "review")
    assert review.message is not None
    assert review.message.embeds[0]["title"].startswith("Review · question 1 of 1")
    assert shown_question(content, review.message).id == missed.id
    done = await answer(emulator, world, content, review.message)
    assert next(f["name"] for f in done.embeds[0]["fields"]) == "Right!"
    card = await get(bot.db, ReviewCard, (world.alice.id, missed.id))
    sources = sorted(await scalars(bot.db, select(Answer.source)))
    assert card is not None
    assert card.reviews == 2
    assert card.due_at > clock.now + __import__("datetime").timedelta(hours=12)
    assert sources == ["quiz", "review"]
    emulator.assert_clean()
