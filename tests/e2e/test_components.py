"""Every click is answered, and options come from the content: end to end."""

from __future__ import annotations

import logging

import pytest

from bot.app import StudyBot
from bot.content import ContentStore
from bot.services import items, quiz
from tests.e2e.conftest import Runner, World
from tests.emulator import DiscordEmulator


async def test_an_unexpected_error_in_a_button_gets_a_reply_and_a_log_line(
    emulator: DiscordEmulator,
    world: World,
    bot: StudyBot,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    start = await emulator.slash(world.alice, world.channel, "quiz", {"questions": 5})
    assert start.message is not None
    button = start.message.buttons()[0]["custom_id"] if start.message.buttons() else None
    menu = start.message.selects()[0]["custom_id"] if start.message.selects() else None

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug in the answer path")

    monkeypatch.setattr(quiz, "answer", broken)
    with caplog.at_level(logging.ERROR, logger="bot.components"):
        if button is not None:
            result = await emulator.click(world.alice, start.message, button)
        else:
            assert menu is not None
            options = [o["value"] for o in start.message.selects()[0]["options"]]
            q = start.message.selects()[0]
            result = await emulator.select(
                world.alice, start.message, menu, options[: q["min_values"]]
            )
    assert result.ephemeral
    assert "Something went wrong on our side" in result.content
    logged = [r for r in caplog.records if "failed" in r.getMessage()]
    assert logged, caplog.text
    assert (button or menu or "") in logged[0].getMessage()
    assert str(world.alice.id) in logged[0].getMessage()
    assert logged[0].exc_info is not None
    emulator.assert_clean()


async def test_flag_checks_the_owner_like_every_quiz_button(
    emulator: DiscordEmulator, world: World, bot: StudyBot, content: ContentStore
) -> None:
    """A ServiceError inside a component is answered with its message: bob's forged click
    on the Flag button of alice's quiz is refused, and nothing is flagged for him."""
    start = await emulator.slash(world.alice, world.channel, "quiz", {"questions": 5})
    assert start.message is not None
    footer = start.message.embeds[0]["footer"]["text"]
    q = content.questions[footer.rsplit("· ", 1)[-1].strip()]
    if q.multiple:
        menu = start.message.selects()[0]["custom_id"]
        answered = await emulator.select(world.alice, start.message, menu, sorted(q.answer))
    else:
        answered = await emulator.click(world.alice, start.message, f"quiz:a:1:0:{q.answer[0]}")
    assert answered.message is not None
    flag = next(
        b["custom_id"] for b in answered.message.buttons() if b["custom_id"].startswith("quiz:f:")
    )
    answered.message.visible_to = world.bob.id  # an ephemeral message: only a forged click
    refused = await emulator.click(world.bob, answered.message, flag)
    assert refused.ephemeral
    assert "not your quiz" in refused.content
    answered.message.visible_to = world.alice.id
    thanks = await emulator.click(world.alice, answered.message, flag)
    assert f"`{q.id}` is flagged" in thanks.content
    flags = await bot.db.read(items.open_flags)
    assert [(f.question_id, f.reports) for f in flags] == [(q.id, 1)]
    emulator.assert_clean()


async def test_domain_options_come_from_the_blueprint(
    emulator: DiscordEmulator, world: World, runner: Runner, content: ContentStore
) -> None:
    """A blueprint with other domain names offers other choices, with no code change."""
    renamed = content.blueprint.model_copy(
        update={
            "domains": tuple(
                d.model_copy(update={"name": f"Area {i}: {d.id}"})
                for i, d in enumerate(content.blueprint.domains, 1)
            )
        }
    )
    other = ContentStore.build(renamed, content.questions.values(), content.plan, content.resources)
    runner.content = other
    await runner.start()
    choices = await emulator.autocomplete(
        world.alice, world.channel, "quiz", {"domain": ""}, "domain"
    )
    names = [c["name"] for c in choices]
    assert names[0] == "Mixed, weighted like the exam"
    assert names[1:] == [f"Area {i}: {d.id}" for i, d in enumerate(renamed.domains, 1)]
    typed = await emulator.autocomplete(
        world.alice, world.channel, "leaderboard", {"domain": "area 3"}, "domain"
    )
    assert [c["value"] for c in typed] == [renamed.domains[2].id]

    unknown = await emulator.slash(world.alice, world.channel, "quiz", {"domain": "astrology"})
    assert unknown.ephemeral
    assert "Unknown domain 'astrology'" in unknown.content
    emulator.assert_clean()
