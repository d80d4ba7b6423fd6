"""The Discord emulator, driven by a real discord.py bot defined here."""

from __future__ import annotations

import asyncio
import io
import re
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord.http import Route

from tests.emulator import (
    Channel,
    DiscordEmulator,
    EmulatorError,
    Guild,
    InteractionFailed,
    User,
    start_bot,
    stop_bot,
)

pytestmark = pytest.mark.e2e

# ---------------------------------------------------------------- the bot under test


class Counter(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"counter:(?P<count>\d+)"):
    """A persistent button that survives restarts: its state lives in its custom_id."""

    def __init__(self, count: int) -> None:
        super().__init__(discord.ui.Button(label=f"Count {count}", custom_id=f"counter:{count}"))
        self.count = count

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Counter:
        return cls(int(match["count"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(Counter(self.count + 1))
        await interaction.response.edit_message(view=view)


class SecretView(discord.ui.View):
    @discord.ui.button(label="Reveal", custom_id="reveal")
    async def reveal(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.edit_message(content="The answer is 42", view=None)

    @discord.ui.button(label="Locked", custom_id="locked", disabled=True)
    async def locked(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        raise AssertionError("a disabled button cannot be clicked")


class TopicSelect(discord.ui.View):
    @discord.ui.select(
        custom_id="pick-topic",
        options=[
            discord.SelectOption(label="ML", value="ml"),
            discord.SelectOption(label="Data", value="data"),
        ],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
        await interaction.response.edit_message(content=f"You picked {select.values[0]}", view=None)

    @discord.ui.button(label="Feedback", custom_id="feedback-button")
    async def feedback(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.send_modal(Feedback(custom_id="feedback"))


class Feedback(discord.ui.Modal, title="Feedback"):
    text: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Your feedback", custom_id="feedback-text"
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Thanks: {self.text.value}", ephemeral=True)


class TooLongTitle(discord.ui.Modal, title="A form title longer than Discord's 45 characters"):
    answer: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Answer")


study = app_commands.Group(name="study", description="Study tools")
deck = app_commands.Group(name="deck", description="Flash card decks", parent=study)
daily = app_commands.Group(name="daily", description="Daily questions")
TIMEZONES = ["Europe/Berlin", "Europe/London", "America/New_York"]


@study.command(name="start", description="Start a session")
@app_commands.choices(
    topic=[
        app_commands.Choice(name="ML", value="ml"),
        app_commands.Choice(name="Data", value="data"),
    ]
)
async def study_start(
    interaction: discord.Interaction, topic: app_commands.Choice[str], questions: int = 5
) -> None:
    await interaction.response.send_message(f"Starting {topic.value} with {questions} questions")


@deck.command(name="show", description="Show a deck")
async def deck_show(interaction: discord.Interaction, name: str) -> None:
    await interaction.response.send_message(f"Deck {name}", ephemeral=True)


@daily.command(name="setup", description="Set up daily questions")
async def daily_setup(interaction: discord.Interaction, timezone: str) -> None:
    await interaction.response.send_message(f"Daily questions at 09:00 {timezone}", ephemeral=True)


@daily_setup.autocomplete("timezone")
async def timezone_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=tz, value=tz) for tz in TIMEZONES if current.lower() in tz.lower()
    ]


@app_commands.command(name="about", description="About the bot")
async def about(interaction: discord.Interaction) -> None:
    embed = discord.Embed(title="StudyBot", description="Prepares you for the exam")
    view = discord.ui.View(timeout=None)
    view.add_item(Counter(0))
    await interaction.response.send_message(embed=embed, view=view)


@app_commands.command(name="secret", description="An ephemeral answer with buttons")
async def secret(interaction: discord.Interaction) -> None:
    await interaction.response.send_message(
        "Only you can see this", view=SecretView(), ephemeral=True
    )


@app_commands.command(name="report", description="A slow report (defers)")
async def report(interaction: discord.Interaction) -> None:
    await interaction.response.defer(thinking=True)
    await asyncio.sleep(0.1)
    await interaction.followup.send("Report ready")


@app_commands.command(name="too-slow", description="Answers after the deadline")
async def too_slow(interaction: discord.Interaction) -> None:
    await asyncio.sleep(interaction.client.slow_delay)  # type: ignore[attr-defined]
    await interaction.response.send_message("late")


@app_commands.command(name="upload", description="Posts notes as a file")
async def upload(interaction: discord.Interaction) -> None:
    assert isinstance(interaction.channel, discord.TextChannel)
    message = await interaction.channel.send(
        "Notes", file=discord.File(io.BytesIO(b"gradient descent"), "notes.txt")
    )
    thread = await message.create_thread(name="Notes discussion")
    await thread.send("Discuss here")
    await interaction.response.send_message("Uploaded", ephemeral=True)


@app_commands.command(name="remind-me", description="Sends you a DM")
async def remind_me(interaction: discord.Interaction) -> None:
    try:
        view = discord.ui.View(timeout=None)
        view.add_item(Counter(0))
        await interaction.user.send("Time to study!", view=view)
    except discord.Forbidden as error:
        await interaction.response.send_message(f"Cannot DM you ({error.code})", ephemeral=True)
    else:
        await interaction.response.send_message("Check your DMs", ephemeral=True)


@app_commands.command(name="feedback", description="Opens a feedback form")
async def feedback(interaction: discord.Interaction) -> None:
    await interaction.response.send_modal(Feedback(custom_id="feedback"))


@app_commands.command(name="lifecycle", description="Edits, follow-ups and fetches")
async def lifecycle(interaction: discord.Interaction) -> None:
    channel = interaction.channel
    assert isinstance(channel, discord.TextChannel)
    assert interaction.guild is not None
    await interaction.response.defer(ephemeral=True, thinking=True)
    await interaction.edit_original_response(content="Working")
    original = await interaction.original_response()
    note = await interaction.followup.send("Follow-up", ephemeral=True, wait=True)
    await note.edit(content="Follow-up edited")
    async with channel.typing():
        draft = await channel.send("Draft", file=discord.File(io.BytesIO(b"v1"), "draft.txt"))
    await draft.edit(content="Final", attachments=[])
    fetched = await channel.fetch_message(draft.id)
    temporary = await channel.send("Temporary")
    await temporary.delete()
    history = [m.content async for m in channel.history(limit=10)]
    member = await interaction.guild.fetch_member(interaction.user.id)
    summary = f"{original.content}|{fetched.content}|{len(fetched.attachments)}|{history}|{member}"
    await interaction.followup.send(summary, ephemeral=True)


@app_commands.command(name="bad-form", description="Opens a form Discord refuses")
async def bad_form(interaction: discord.Interaction) -> None:
    await interaction.response.send_modal(TooLongTitle())


@app_commands.command(name="pick", description="Pick a topic")
async def pick(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("Pick a topic", view=TopicSelect())


COMMANDS: list[app_commands.Command[Any, Any, Any] | app_commands.Group] = [
    study,
    daily,
    about,
    secret,
    report,
    too_slow,
    upload,
    remind_me,
    feedback,
    lifecycle,
    bad_form,
    pick,
]


class StudyTestBot(commands.Bot):
    def __init__(self, **options: Any) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned, intents=discord.Intents.default(), **options
        )
        self.slow_delay = 0.0
        self.errors: list[BaseException] = []
        for command in COMMANDS:
            self.tree.add_command(command)
        self.tree.on_error = self._record_error  # type: ignore[method-assign]

    async def _record_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        self.errors.append(error)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(Counter)
        await self.tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before each IDENTIFY but the first (Discord's max_concurrency)."""


class ShardedTestBot(StudyTestBot, commands.AutoShardedBot):
    pass


# ---------------------------------------------------------------- fixtures


@dataclass
class World:
    guild: Guild
    general: Channel
    alice: User
    bob: User


@pytest.fixture
async def emu() -> AsyncIterator[DiscordEmulator]:
    emulator = DiscordEmulator()
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
def world(emu: DiscordEmulator) -> World:
    guild = emu.add_guild("Study Group")
    general = emu.add_channel(guild, "general")
    alice = emu.add_member(guild, "alice", permissions=["manage_guild"])
    bob = emu.add_member(guild, "bob", dms_closed=True)
    return World(guild, general, alice, bob)


@pytest.fixture
async def bot(emu: DiscordEmulator, world: World) -> AsyncIterator[StudyTestBot]:
    client = StudyTestBot()
    task = await start_bot(emu, client)
    try:
        yield client
    finally:
        await stop_bot(client, task)


async def rejected(
    emu: DiscordEmulator, action: Awaitable[Any], code: int = 50035
) -> discord.HTTPException:
    """The request fails with `code` and the emulator recorded exactly that violation."""
    with pytest.raises(discord.HTTPException) as caught:
        await action
    assert caught.value.code == code, caught.value
    assert len(emu.take_violations(code)) == 1
    return caught.value


# ---------------------------------------------------------------- tests


async def test_emulator_and_bot_start_quickly() -> None:
    started = time.perf_counter()
    async with DiscordEmulator() as emulator:
        guild = emulator.add_guild("Speed")
        emulator.add_channel(guild, "general")
        client = StudyTestBot()
        task = await start_bot(emulator, client)
        elapsed = time.perf_counter() - started
        print(f"\nemulator + bot ready in {elapsed * 1000:.0f} ms")
        try:
            assert client.get_guild(guild.id) is not None
            registered = {c["name"] for c in emulator.state.global_commands}
            assert {"about", "study", "daily"} <= registered
        finally:
            await stop_bot(client, task)
        emulator.assert_clean()
    assert discord.http.Route.BASE == "https://discord.com/api/v10"  # unpatched on stop
    assert elapsed < 10


async def test_slash_commands_embeds_buttons_and_ephemeral(
    emu: DiscordEmulator, world: World, bot: StudyTestBot
) -> None:
    result = await emu.slash(world.alice, world.general, "about")
    assert result.type == 4
    assert not result.ephemeral
    assert result.embeds[0]["title"] == "StudyBot"
    assert result.message is not None
    assert result.message.buttons()[0]["custom_id"] == "counter:0"
    assert emu.channel_messages(world.general) == [result.message]

    secret = await emu.slash(world.alice, world.general, "secret")
    assert secret.ephemeral
    assert secret.content == "Only you can see this"
    assert secret.message is not None
    assert secret.message.custom_ids() == ["reveal", "locked"]
    # ephemeral messages are not public
    assert emu.channel_messages(world.general) == [result.message]
    with pytest.raises(EmulatorError, match="disabled"):
        await emu.click(world.alice, secret.message, "locked")
    with pytest.raises(EmulatorError, match="cannot see"):
        await emu.click(world.bob, secret.message, "reveal")
    revealed = await emu.click(world.alice, secret.message, "reveal")
    assert revealed.type == 7
    assert revealed.content == "The answer is 42"
    assert revealed.components == []
    assert secret.message.edits == 1

    started = await emu.slash(
        world.bob, world.general, "study start", {"topic": "ml", "questions": 3}
    )
    assert started.content == "Starting ml with 3 questions"
    shown = await emu.slash(world.bob, world.general, "study deck show", {"name": "gcp"})
    assert shown.ephemeral
    assert shown.content == "Deck gcp"
    with pytest.raises(EmulatorError, match="must be one of"):
        await emu.slash(world.bob, world.general, "study start", {"topic": "history"})
    with pytest.raises(EmulatorError, match="missing required"):
        await emu.slash(world.bob, world.general, "study start")
    with pytest.raises(EmulatorError, match="not registered"):
        await emu.slash(world.bob, world.general, "nope")

    deferred = await emu.slash(world.alice, world.general, "report")
    assert deferred.type == 5
    assert deferred.content == "Report ready"
    assert len(deferred.followups) == 1

    choices = await emu.autocomplete(
        world.alice, world.general, "daily setup", {"timezone": "europe"}, "timezone"
    )
    assert [c["value"] for c in choices] == ["Europe/Berlin", "Europe/London"]

    form = await emu.slash(world.alice, world.general, "feedback")
    assert form.type == 9
    assert form.modal is not None
    assert form.modal["title"] == "Feedback"
    thanks = await emu.submit_modal(world.alice, form, "feedback", {"feedback-text": "great"})
    assert thanks.ephemeral
    assert thanks.content == "Thanks: great"

    menu = await emu.slash(world.alice, world.general, "pick")
    assert menu.message is not None
    assert menu.message.selects()[0]["custom_id"] == "pick-topic"
    picked = await emu.select(world.alice, menu.message, "pick-topic", ["data"])
    assert picked.content == "You picked data"
    assert bot.errors == []
    emu.assert_clean()


async def test_edits_follow_ups_fetches_and_modals_from_buttons(
    emu: DiscordEmulator, world: World, bot: StudyTestBot
) -> None:
    result = await emu.slash(world.alice, world.general, "lifecycle")
    assert result.type == 5
    assert result.ephemeral
    assert result.content == "Working"
    await emu.wait_for(lambda: len(result.followups) == 2)
    note, summary = result.followups
    assert note.content == "Follow-up edited"
    assert note.ephemeral
    assert summary.content == "Working|Final|0|['Final']|alice"
    assert [m.content for m in emu.channel_messages(world.general)] == ["Final"]

    menu = await emu.slash(world.alice, world.general, "pick")
    assert menu.message is not None
    form = await emu.click(world.alice, menu.message, "feedback-button")
    assert form.type == 9
    thanks = await emu.submit_modal(world.alice, menu.message, "feedback", {"feedback-text": "ok"})
    assert thanks.content == "Thanks: ok"
    with pytest.raises(EmulatorError, match="required"):
        await emu.submit_modal(world.alice, form, "feedback", {})
    assert bot.errors == []
    emu.assert_clean()


async def test_limits_are_rejected(emu: DiscordEmulator, world: World, bot: StudyTestBot) -> None:
    emu.enable_rate_limits(False)  # a dozen rejected sends to one channel would otherwise be paced
    channel = bot.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    post = Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id)

    def view(*items: discord.ui.Item[Any]) -> discord.ui.View:
        built = discord.ui.View()
        for item in items:
            built.add_item(item)
        return built

    embed_with_fields = discord.Embed(title="fields")
    for i in range(26):
        embed_with_fields.add_field(name=f"f{i}", value="v")
    many_options = [discord.SelectOption(label=str(i), value=str(i)) for i in range(26)]
    row = {"type": 1, "components": [{"type": 2, "style": 1, "label": "x", "custom_id": "x"}]}

    await rejected(emu, channel.send("x" * 2001))
    # discord.py itself refuses 11 embeds and 6 rows: send them through its HTTP client
    await rejected(emu, bot.http.request(post, json={"embeds": [{"title": "e"}] * 11}))
    await rejected(emu, channel.send(embed=discord.Embed(description="x" * 4097)))
    await rejected(emu, channel.send(embed=embed_with_fields))
    await rejected(emu, channel.send(embed=discord.Embed().add_field(name="n", value="v" * 1025)))
    await rejected(emu, channel.send(embeds=[discord.Embed(description="x" * 3001)] * 2))
    await rejected(
        emu, channel.send("id", view=view(discord.ui.Button(label="b", custom_id="x" * 101)))
    )
    await rejected(
        emu,
        channel.send(
            "dup",
            view=view(
                discord.ui.Button(label="a", custom_id="same"),
                discord.ui.Button(label="b", custom_id="same"),
            ),
        ),
    )
    await rejected(emu, bot.http.request(post, json={"content": "rows", "components": [row] * 6}))
    await rejected(
        emu, channel.send("label", view=view(discord.ui.Button(label="x" * 81, custom_id="l")))
    )
    await rejected(
        emu,
        channel.send("select", view=view(discord.ui.Select(custom_id="s", options=many_options))),
    )
    await rejected(emu, channel.send(), code=50006)
    assert (await channel.send("x" * 2000)).content == "x" * 2000

    too_long: app_commands.Command[Any, Any, None] = app_commands.Command(
        name="long", description="d" * 101, callback=deck_show.callback
    )
    bot.tree.add_command(too_long)
    await rejected(emu, bot.tree.sync())
    bot.tree.remove_command("long")
    bad_name: Any = [{"name": "Bad Name", "description": "ok", "type": 1}]
    assert bot.application_id is not None
    await rejected(emu, bot.http.bulk_upsert_global_commands(bot.application_id, bad_name))
    # a rejected sync changes nothing
    assert "about" in {c["name"] for c in emu.state.global_commands}

    emu.interaction_deadline = 0.3
    with pytest.raises(InteractionFailed, match="50035"):
        await emu.slash(world.alice, world.general, "bad-form")
    assert len(emu.take_violations(50035)) == 1
    assert isinstance(bot.errors[0].__cause__, discord.HTTPException)
    # a refused response acknowledges nothing
    assert [d.name for d in emu.missed_deadlines] == ["/bad-form"]
    emu.missed_deadlines.clear()
    emu.assert_clean()


async def test_deadline_and_double_acknowledgement(
    emu: DiscordEmulator, world: World, bot: StudyTestBot
) -> None:
    emu.interaction_deadline = 0.3
    bot.slow_delay = 0.5
    with pytest.raises(InteractionFailed):
        await emu.slash(world.alice, world.general, "too-slow")
    await emu.wait_for(lambda: bot.errors)
    assert isinstance(bot.errors[0].__cause__, discord.NotFound)
    assert bot.errors[0].__cause__.code == 10062
    assert [d.name for d in emu.missed_deadlines] == ["/too-slow"]
    emu.missed_deadlines.clear()
    # a late answer is a missed deadline, not another violation
    assert emu.take_violations(10062) == []

    emu.interaction_deadline = 3.0
    second = StudyTestBot()  # an old instance still running: both answer every interaction
    task = await start_bot(emu, second)
    try:
        result = await emu.slash(world.alice, world.general, "about")
        assert result.type == 4
        await emu.wait_for(lambda: emu.violations)
        assert [v.code for v in emu.take_violations(40060)] == [40060]
    finally:
        await stop_bot(second, task)
    emu.assert_clean()


async def test_dynamic_button_works_after_restart(emu: DiscordEmulator, world: World) -> None:
    first = StudyTestBot()
    task = await start_bot(emu, first)
    try:
        posted = await emu.slash(world.alice, world.general, "about")
    finally:
        await stop_bot(first, task)
    assert posted.message is not None

    second = StudyTestBot()
    task = await start_bot(emu, second)
    try:
        clicked = await emu.click(world.bob, posted.message, "counter:0")
        assert clicked.type == 7
        assert clicked.message is posted.message
        assert posted.message.buttons()[0]["label"] == "Count 1"
        with pytest.raises(EmulatorError, match="no component"):
            await emu.click(world.bob, posted.message, "counter:0")
        await emu.disconnect_all()  # a gateway outage: the bot RESUMEs, is refused, IDENTIFYs again
        await emu.wait_ready()
        again = await emu.click(world.bob, posted.message, "counter:1")
        assert again.message is not None
        assert again.message.custom_ids() == ["counter:2"]
    finally:
        await stop_bot(second, task)
    emu.assert_clean()


async def test_files_threads_and_dms(emu: DiscordEmulator, world: World, bot: StudyTestBot) -> None:
    result = await emu.slash(world.alice, world.general, "upload")
    (notes,) = emu.channel_messages(world.general)
    assert notes.attachments == [("notes.txt", b"gradient descent", "text/plain")]
    assert notes.thread is not None
    assert emu.channel_messages(notes.thread)[0].content == "Discuss here"
    assert result.content == "Uploaded"

    assert (await emu.slash(world.alice, world.general, "remind-me")).content == "Check your DMs"
    assert [m.content for m in emu.dms(world.alice)] == ["Time to study!"]
    reminder = emu.dms(world.alice)[0]
    assert (await emu.click(world.alice, reminder, "counter:0")).type == 7
    assert reminder.custom_ids() == ["counter:1"]
    in_dm = await emu.slash(world.alice, emu.dm_channel(world.alice), "about")
    assert in_dm.message is not None
    assert in_dm.message.channel_id == emu.dm_channel(world.alice).id
    assert (
        await emu.slash(world.bob, world.general, "remind-me")
    ).content == "Cannot DM you (50007)"
    assert emu.dms(world.bob) == []
    carol = emu.add_member(world.guild, "carol")
    emu.set_dm_open_rate_limited(True)
    assert (await emu.slash(carol, world.general, "remind-me")).content == "Cannot DM you (40003)"
    assert emu.invalid_requests_in(60) == 2
    emu.assert_clean()


async def test_deleted_channel_and_missing_permissions(
    emu: DiscordEmulator, world: World, bot: StudyTestBot
) -> None:
    quiet = emu.add_channel(world.guild, "quiet", deny={"SEND_MESSAGES"})
    no_embeds = emu.add_channel(world.guild, "no-embeds", deny={"EMBED_LINKS"})
    doomed = emu.add_channel(world.guild, "doomed")
    await emu.wait_for(lambda: bot.get_channel(doomed.id))
    quiet_channel, embeds_channel, doomed_channel = (
        bot.get_channel(c.id) for c in (quiet, no_embeds, doomed)
    )
    assert isinstance(quiet_channel, discord.TextChannel)
    assert isinstance(embeds_channel, discord.TextChannel)
    assert isinstance(doomed_channel, discord.TextChannel)
    # the bot can know before trying
    assert not quiet_channel.permissions_for(quiet_channel.guild.me).send_messages

    with pytest.raises(discord.Forbidden) as forbidden:
        await quiet_channel.send("hello")
    assert forbidden.value.code == 50013
    with pytest.raises(discord.Forbidden):
        await embeds_channel.send(embed=discord.Embed(title="t"))
    await embeds_channel.send("plain text is fine")

    emu.delete_channel(doomed)
    with pytest.raises(discord.NotFound) as missing:
        await doomed_channel.send("anyone?")
    assert missing.value.code == 10003
    await emu.wait_for(lambda: bot.get_channel(doomed.id) is None)

    emu.set_denied(world.general, {"VIEW_CHANNEL"})
    with pytest.raises(discord.Forbidden) as no_access:
        await bot.http.get_channel(world.general.id)
    assert no_access.value.code == 50001
    assert emu.invalid_requests_in(60) == 3
    emu.assert_clean()


async def test_rate_limits_are_honoured(
    emu: DiscordEmulator, world: World, bot: StudyTestBot
) -> None:
    emu.enable_rate_limits(True, global_limit=10, channel_window=1.0)
    channel = bot.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    url = f"{emu.base_url}/channels/{channel.id}/messages"
    async with aiohttp.ClientSession(
        headers={"Authorization": f"Bot {emu.token}"}
    ) as other_process:
        for i in range(5):  # another process with the same token uses up the channel's bucket
            async with other_process.post(url, json={"content": f"other {i}"}) as response:
                assert response.status == 200
                assert response.headers["X-RateLimit-Remaining"] == str(4 - i)
    message = await channel.send("after the 429")
    assert message.content == "after the 429"
    limited = [r for r in emu.requests if r.status == 429]
    assert [r.path for r in limited] == [f"/api/v10/channels/{channel.id}/messages"]

    fetched = await asyncio.gather(*(bot.fetch_channel(world.general.id) for _ in range(15)))
    assert {c.id for c in fetched} == {world.general.id}
    all_limited = [r for r in emu.requests if r.status == 429]
    assert len(all_limited) > 1  # the global limit was hit and waited out
    assert emu.invalid_requests_in(60) == len(all_limited)
    emu.assert_clean()


async def test_unknown_routes_and_bad_tokens(
    emu: DiscordEmulator, world: World, bot: StudyTestBot
) -> None:
    with pytest.raises(discord.LoginFailure):
        await start_bot(emu, StudyTestBot(), "not-the-token")
    assert emu.invalid_requests_in(60) == 1
    with pytest.raises(discord.NotFound):
        await bot.http.request(
            Route("GET", "/applications/{app_id}/emojis", app_id=bot.application_id)
        )
    assert [r.method for r in emu.unknown_routes] == ["GET"]
    with pytest.raises(AssertionError, match="unknown route"):
        emu.assert_clean()
    emu.unknown_routes.clear()
    emu.assert_clean()


async def test_sharding_routes_guilds_to_their_shard() -> None:
    async with DiscordEmulator(shard_count=2) as emulator:
        even = emulator.add_guild("Shard zero", id=1000 << 22)
        odd = emulator.add_guild("Shard one", id=1001 << 22)
        channels = {g.id: emulator.add_channel(g, "general") for g in (even, odd)}
        members = {g.id: emulator.add_member(g, "dana") for g in (even, odd)}

        everything = ShardedTestBot()  # asks /gateway/bot for the shard count
        task = await start_bot(emulator, everything)
        try:
            assert everything.shard_count == 2
            assert {g.id: g.shard_id for g in everything.guilds} == {even.id: 0, odd.id: 1}
            for guild in (even, odd):
                result = await emulator.slash(members[guild.id], channels[guild.id], "about")
                assert result.type == 4
            late = emulator.add_guild("Joined later", id=1003 << 22)
            joined = await emulator.wait_for(lambda: everything.get_guild(late.id))
            assert joined.shard_id == 1
        finally:
            await stop_bot(everything, task)

        only_odd = ShardedTestBot(shard_ids=[1], shard_count=2)
        task = await start_bot(emulator, only_odd)
        try:
            assert sorted(g.id for g in only_odd.guilds) == [odd.id, late.id]
            with pytest.raises(EmulatorError, match="no connected bot session"):
                await emulator.slash(members[even.id], channels[even.id], "about")
            assert (await emulator.slash(members[odd.id], channels[odd.id], "about")).type == 4
        finally:
            await stop_bot(only_odd, task)
        emulator.assert_clean()
