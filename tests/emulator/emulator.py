"""DiscordEmulator: the test-facing API over the REST server and the gateway."""

# ruff: noqa: ASYNC109  -- `timeout=` parameters are this test API's documented interface

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any, Self

import yarl
from aiohttp import web
from discord.gateway import DiscordWebSocket
from discord.http import Route

from .driver import InteractionDriver
from .gateway import GUILD_MEMBERS, GUILDS, Gateway
from .interactions import EmulatorError
from .models import (
    DM,
    GUILD_TEXT,
    JSON,
    Channel,
    Clock,
    Guild,
    Message,
    MissedDeadline,
    RequestRecord,
    UnknownRoute,
    User,
    Violation,
    utcnow,
)
from .rest import build_app
from .sends import NONCE_WINDOW, SendHold
from .state import (
    BOT_ROLE_PERMISSIONS,
    DENIABLE,
    EVERYONE_PERMISSIONS,
    EmulatorState,
    permission_bits,
)


class DiscordEmulator(InteractionDriver):
    """A strict local Discord for the real discord.py client; see tests/emulator/README.md."""

    def __init__(
        self,
        *,
        token: str = "emulator.bot.token",
        application_id: int | None = None,
        bot_user_id: int | None = None,
        shard_count: int = 1,
        interaction_deadline: float = 3.0,
        rate_limits: bool = True,
        clock: Clock = utcnow,
        nonce_window: float = NONCE_WINDOW,
    ) -> None:
        self.state = EmulatorState(
            token, application_id, bot_user_id, shard_count, interaction_deadline, clock
        )
        self.state.rate_limits.enabled = rate_limits
        self.state.nonces.window = nonce_window
        self.gateway = Gateway(self.state)
        self._runner: web.AppRunner | None = None
        self._originals: tuple[str, yarl.URL] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: list[asyncio.TimerHandle] = []

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._runner = web.AppRunner(
            build_app(self.state, self.gateway), access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.state.base_url = f"http://127.0.0.1:{port}/api/v10"
        self.state.gateway_url = f"ws://127.0.0.1:{port}/"

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for hold in self.state.holds:
            hold.drop()
        await self.gateway.close_all(1001)
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.unpatch_discord()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def patch_discord(self) -> None:
        """Points discord.py's REST base and default gateway at this emulator."""
        if self._originals is None:
            self._originals = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        Route.BASE = self.base_url
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    def unpatch_discord(self) -> None:
        if self._originals is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._originals
            self._originals = None

    @property
    def base_url(self) -> str:
        return self.state.base_url

    @property
    def gateway_url(self) -> str:
        return self.state.gateway_url

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def application_id(self) -> int:
        return self.state.application_id

    @property
    def bot_user_id(self) -> int:
        return self.state.bot_user.id

    @property
    def shard_count(self) -> int:
        return self.state.shard_count

    @property
    def interaction_deadline(self) -> float:
        return self.state.interaction_deadline

    @interaction_deadline.setter
    def interaction_deadline(self, seconds: float) -> None:
        self.state.interaction_deadline = seconds

    @property
    def nonce_window(self) -> float:
        """Seconds during which a repeated nonce returns the earlier message."""
        return self.state.nonces.window

    @nonce_window.setter
    def nonce_window(self, seconds: float) -> None:
        self.state.nonces.window = seconds

    @property
    def token_lifetime(self) -> float:
        """Seconds an interaction's token takes follow-ups and edits (Discord: 15 minutes)."""
        return self.state.token_lifetime

    @token_lifetime.setter
    def token_lifetime(self, seconds: float) -> None:
        self.state.token_lifetime = seconds

    # ------------------------------------------------------------ sends that die half-way

    def hold_send(self, channel: Channel, *, created: bool) -> SendHold:
        """Catch the next message create in `channel` (a DM channel too: `dm_channel`).
        created=False holds the request before anything happens; True creates the message,
        then holds the response. The test then kills the bot's sender (cancels its task,
        stops the bot) and `drop()`s the hold, or `release()`s it."""
        hold = SendHold(channel.id, created)
        self.state.holds.append(hold)
        return hold

    # ------------------------------------------------------------ the world

    def add_guild(self, name: str, owner_id: int | None = None, *, id: int | None = None) -> Guild:
        state = self.state
        guild = Guild(
            id=id or state.ids.next(),
            name=name,
            owner_id=owner_id or state.app_owner.id,
            bot_role_id=state.ids.next(),
        )
        state.guilds[guild.id] = guild
        state.add_member(guild, state.bot_user, BOT_ROLE_PERMISSIONS, roles=[guild.bot_role_id])
        if owner_id is None:
            state.add_member(guild, state.app_owner, EVERYONE_PERMISSIONS)
        self._emit(guild.id, "GUILD_CREATE", state.guild_payload(guild))
        return guild

    def add_channel(
        self, guild: Guild, name: str, deny: Iterable[str] = (), *, id: int | None = None
    ) -> Channel:
        channel = Channel(
            id=id or self.state.ids.next(),
            type=GUILD_TEXT,
            name=name,
            guild_id=guild.id,
            denied=_deniable(deny),
            position=len(guild.channel_ids),
        )
        self.state.channels[channel.id] = channel
        guild.channel_ids.append(channel.id)
        self._emit(guild.id, "CHANNEL_CREATE", self.state.channel_payload(channel), GUILDS)
        return channel

    def add_member(
        self,
        guild: Guild,
        user: str | User,
        permissions: Iterable[str] = (),
        dms_closed: bool = False,
        *,
        id: int | None = None,
    ) -> User:
        """A new user called `user` (or an existing User) joins `guild`; `permissions` are extra
        guild permissions by discord.py's names ("manage_guild"); `dms_closed` is for new users."""
        if isinstance(user, str):
            user = User(id=id or self.state.ids.next(), name=user, dms_closed=dms_closed)
        member = self.state.add_member(
            guild, user, EVERYONE_PERMISSIONS | permission_bits(permissions)
        )
        self._emit(
            guild.id,
            "GUILD_MEMBER_ADD",
            {**member.payload(), "guild_id": str(guild.id)},
            GUILD_MEMBERS,
        )
        return user

    def remove_bot(self, guild: Guild) -> None:
        """The bot is kicked from `guild` (or the guild is deleted): GUILD_DELETE, and from
        now on the guild and its channels answer 403 Missing Access."""
        self._emit(guild.id, "GUILD_DELETE", {"id": str(guild.id)}, GUILDS)
        self.state.guilds.pop(guild.id, None)
        for channel_id in guild.channel_ids:
            channel = self.state.channels.get(channel_id)
            if channel is not None:
                channel.deleted = True

    def readd_bot(self, guild: Guild) -> None:
        """The bot is invited back to `guild`: GUILD_CREATE, channels back as they were."""
        self.state.guilds[guild.id] = guild
        for channel_id in guild.channel_ids:
            channel = self.state.channels.get(channel_id)
            if channel is not None:
                channel.deleted = False
        payload = self.state.guild_payload(guild)
        payload.pop("unavailable", None)  # a join: Discord sends no "unavailable" then
        self._emit(guild.id, "GUILD_CREATE", payload)

    def delete_channel(self, channel: Channel) -> None:
        channel.deleted = True
        self._emit(channel.guild_id, "CHANNEL_DELETE", self.state.channel_payload(channel), GUILDS)

    def set_denied(self, channel: Channel, denied: Iterable[str]) -> None:
        """Bot permissions denied in `channel` and its threads: VIEW_CHANNEL, SEND_MESSAGES..."""
        channel.denied = _deniable(denied)
        self._emit(channel.guild_id, "CHANNEL_UPDATE", self.state.channel_payload(channel), GUILDS)

    def set_dms_closed(self, user: User, closed: bool = True) -> None:
        user.dms_closed = closed

    def set_dm_open_rate_limited(self, limited: bool = True) -> None:
        """While set, opening a DM channel fails with 403 code 40003, as Discord does."""
        self.state.dm_open_rate_limited = limited

    def enable_rate_limits(
        self,
        enabled: bool = True,
        *,
        global_limit: int = 50,
        channel_limit: int = 5,
        channel_window: float = 5.0,
    ) -> None:
        self.state.rate_limits.configure(enabled, global_limit, channel_limit, channel_window)

    def dm_channel(self, user: User) -> Channel:
        """The user's DM channel with the bot, opened as the user's client would."""
        channel = self.state.dm_channels.get(user.id)
        if channel is None:
            channel = Channel(id=self.state.ids.next(), type=DM, name="", recipient=user)
            self.state.channels[channel.id] = channel
            self.state.dm_channels[user.id] = channel
        return channel

    def _emit(
        self, guild_id: int | None, event: str, data: JSON, intent: int | None = None
    ) -> None:
        if not self.gateway.sessions_for(guild_id):
            return
        task = asyncio.get_running_loop().create_task(
            self.gateway.dispatch(guild_id, event, data, intent)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------ reading back

    def channel_messages(
        self, channel: Channel, *, include_ephemeral: bool = False
    ) -> list[Message]:
        """Live messages in the channel, oldest first; ephemeral ones only when asked for."""
        return sorted(
            (
                m
                for m in self.state.messages.values()
                if m.channel_id == channel.id
                and not m.deleted
                and (include_ephemeral or not m.ephemeral)
            ),
            key=lambda m: m.id,
        )

    def dms(self, user: User) -> list[Message]:
        channel = self.state.dm_channels.get(user.id)
        return self.channel_messages(channel) if channel else []

    def get_message(self, message_id: int) -> Message:
        try:
            return self.state.messages[message_id]
        except KeyError:
            raise EmulatorError(f"no message {message_id}") from None

    @property
    def violations(self) -> list[Violation]:
        return self.state.violations

    @property
    def unknown_routes(self) -> list[UnknownRoute]:
        return self.state.unknown_routes

    @property
    def missed_deadlines(self) -> list[MissedDeadline]:
        return self.state.missed_deadlines

    @property
    def requests(self) -> list[RequestRecord]:
        return self.state.requests

    def invalid_requests_in(self, seconds: float) -> int:
        """401, 403 and 429 responses in the last `seconds` (Discord bans at 10,000 / 10 min)."""
        since = time.monotonic() - seconds
        return sum(1 for moment in self.state.invalid_requests if moment >= since)

    def take_violations(self, code: int) -> list[Violation]:
        """Removes and returns the violations with this error code, for tests that provoke them."""
        taken = [v for v in self.state.violations if v.code == code]
        self.state.violations[:] = [v for v in self.state.violations if v.code != code]
        return taken

    def assert_clean(self) -> None:
        problems = [f"violation: {v.route} -> {v.code}: {v.detail}" for v in self.state.violations]
        problems += [f"unknown route: {r.method} {r.path}" for r in self.state.unknown_routes]
        problems += [f"missed deadline: {d.name}: {d.detail}" for d in self.state.missed_deadlines]
        if problems:
            raise AssertionError(
                "the bot did things Discord would reject:\n  " + "\n  ".join(problems)
            )

    async def wait_ready(
        self, timeout: float = 5.0, *, sessions: int = 1, since: float | None = None
    ) -> None:
        """Returns once `sessions` bot sessions (ready at or after `since`, a time.monotonic())
        got READY and all their GUILD_CREATEs; discord.py's on_ready comes about 2 s later."""
        await self.state.wait_for(lambda: self.gateway.ready_sessions(since) >= sessions, timeout)

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Waits until predicate() is truthy, re-checking whenever the emulator's state changes."""
        return await self.state.wait_for(predicate, timeout)

    async def disconnect_all(self) -> None:
        """Closes every gateway socket with 4000, as an outage would; clients may reconnect."""
        await self.gateway.close_all(4000)


def _deniable(names: Iterable[str]) -> set[str]:
    denied = {name.upper() for name in names}
    unknown = denied - DENIABLE
    if unknown:
        raise ValueError(f"cannot deny {sorted(unknown)}; choose from {sorted(DENIABLE)}")
    return denied
