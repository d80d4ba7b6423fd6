"""Everything the emulator knows, the records tests read, and Discord-shaped payloads."""

# ruff: noqa: ASYNC109  -- `timeout=` parameters are this test API's documented interface

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from typing import Any

import discord

from .models import (
    DM,
    JSON,
    PUBLIC_THREAD,
    Channel,
    Clock,
    Guild,
    InteractionRecord,
    Member,
    Message,
    MissedDeadline,
    RequestRecord,
    SnowflakeFactory,
    UnknownRoute,
    User,
    Violation,
    iso,
    utcnow,
)
from .ratelimit import RateLimits
from .sends import NonceBook, SendHold

# GATEWAY_PRESENCE_LIMITED, GATEWAY_GUILD_MEMBERS_LIMITED, GATEWAY_MESSAGE_CONTENT_LIMITED
APPLICATION_FLAGS = (1 << 13) | (1 << 15) | (1 << 19)
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
# The bot permissions a test can deny per channel, by Discord's names.
DENIABLE = frozenset(
    {
        "VIEW_CHANNEL",
        "SEND_MESSAGES",
        "EMBED_LINKS",
        "ATTACH_FILES",
        "CREATE_PUBLIC_THREADS",
        "SEND_MESSAGES_IN_THREADS",
        "READ_MESSAGE_HISTORY",
    }
)


def permission_bits(names: Iterable[str]) -> int:
    value = 0
    for name in names:
        try:
            value |= discord.Permissions.VALID_FLAGS[name.lower()]
        except KeyError:
            raise ValueError(f"unknown permission {name!r}") from None
    return value


EVERYONE_PERMISSIONS = permission_bits(
    [
        "view_channel",
        "send_messages",
        "read_message_history",
        "embed_links",
        "attach_files",
        "add_reactions",
        "use_application_commands",
        "create_public_threads",
        "send_messages_in_threads",
        "use_external_emojis",
    ]
)
BOT_ROLE_PERMISSIONS = EVERYONE_PERMISSIONS | permission_bits(["manage_threads"])
ALL_PERMISSIONS = discord.Permissions.all().value
ADMINISTRATOR = permission_bits(["administrator"])
VIEW_CHANNEL = permission_bits(["view_channel"])


class ApiError(Exception):
    """A Discord error response; `violation` marks it as a bot bug for `assert_clean`."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: JSON | None = None,
        *,
        violation: bool = False,
        headers: dict[str, str] | None = None,
        body: JSON | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message, self.errors = status, code, message, errors
        self.violation = violation
        self.headers = headers or {}
        self.body = body if body is not None else {"code": code, "message": message}
        if errors is not None:
            self.body["errors"] = errors


class EmulatorState:
    def __init__(
        self,
        token: str,
        application_id: int | None,
        bot_user_id: int | None,
        shard_count: int,
        interaction_deadline: float,
        clock: Clock = utcnow,
    ) -> None:
        self.clock = clock
        self.ids = SnowflakeFactory(clock)
        self.nonces = NonceBook(clock)
        self.holds: list[SendHold] = []
        self.token = token
        self.application_id = application_id or self.ids.next()
        self.bot_user = User(bot_user_id or self.application_id, "StudyBot", bot=True)
        self.app_owner = User(self.ids.next(), "AppOwner")
        self.shard_count = shard_count
        self.interaction_deadline = interaction_deadline
        self.token_lifetime = 15 * 60.0
        self.base_url = ""
        self.gateway_url = ""
        self.users: dict[int, User] = {u.id: u for u in (self.bot_user, self.app_owner)}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.dm_channels: dict[int, Channel] = {}
        self.global_commands: list[JSON] = []
        self.guild_commands: dict[int, list[JSON]] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.dm_open_rate_limited = False
        self.rate_limits = RateLimits()
        self.violations: list[Violation] = []
        self.unknown_routes: list[UnknownRoute] = []
        self.missed_deadlines: list[MissedDeadline] = []
        self.requests: list[RequestRecord] = []
        self.invalid_requests: list[float] = []
        self._changed = asyncio.Event()
        # one event per interaction being waited for, set when a request touched it: many
        # members clicking at once each wait for their own response, not for everyone's
        self._record_events: dict[int, asyncio.Event] = {}
        self._touched: set[int] = set()

    # ------------------------------------------------------------ change notification

    def notify(self) -> None:
        """Something changed (called once a request has been handled)."""
        self._changed.set()
        self._changed = asyncio.Event()
        for record_id in self._touched:
            event = self._record_events.pop(record_id, None)
            if event is not None:
                event.set()
        self._touched.clear()

    def touch(self, record: InteractionRecord) -> None:
        """The request being handled answers, follows up or edits `record`; its waiters
        wake with the notify that follows the request."""
        if record.settled and record.settled_at is None:
            record.settled_at = time.monotonic()
        self._touched.add(record.id)

    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float,
        *,
        record: InteractionRecord | None = None,
    ) -> Any:
        """Re-checks on every emulator change (only on `record`'s, when given), and every
        50 ms for predicates on the bot's state."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (result := predicate()):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            event = (
                self._changed
                if record is None
                else self._record_events.setdefault(record.id, asyncio.Event())
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, 0.05))
        return result

    # ------------------------------------------------------------ records

    def record_violation(self, route: str, code: int, detail: Any) -> None:
        self.violations.append(Violation(route, code, detail))

    def record_missed_deadline(self, record: InteractionRecord, detail: str) -> None:
        if not record.missed:
            record.missed = True
            self.missed_deadlines.append(MissedDeadline(record.id, record.name, detail))
            self.touch(record)
            self.notify()

    def record_request(self, method: str, path: str, status: int) -> None:
        now = time.monotonic()
        self.requests.append(RequestRecord(method, path, status, now))
        if status in (401, 403, 429):
            self.invalid_requests.append(now)

    def take_hold(self, channel_id: int) -> SendHold | None:
        """The first waiting hold on message creates in this channel, now taken."""
        for hold in self.holds:
            if hold.channel_id == channel_id:
                self.holds.remove(hold)
                return hold
        return None

    # ------------------------------------------------------------ lookups

    def channel(self, channel_id: int) -> Channel:
        """The channel as the bot sees it: 10003 if gone, 50001 if it cannot view it."""
        channel = self.channels.get(channel_id)
        if (
            channel is None
            or channel.deleted
            or (channel.parent_id and self.channels[channel.parent_id].deleted)
        ):
            raise ApiError(404, 10003, "Unknown Channel")
        if not channel.is_dm and not self.bot_permissions(channel) & VIEW_CHANNEL:
            raise ApiError(403, 50001, "Missing Access")
        return channel

    def message(self, channel: Channel, message_id: int) -> Message:
        message = self.messages.get(message_id)
        if (
            message is None
            or message.deleted
            or message.channel_id != channel.id
            or message.ephemeral
        ):
            raise ApiError(404, 10008, "Unknown Message")
        return message

    def require(self, channel: Channel, *names: str) -> None:
        missing = [n for n in names if n.upper() in self.denied(channel)]
        if missing:
            raise ApiError(
                403,
                50013,
                "Missing Permissions",
                body={"code": 50013, "message": "Missing Permissions", "missing": missing},
            )

    def denied(self, channel: Channel) -> set[str]:
        if channel.parent_id is not None:
            return channel.denied | self.channels[channel.parent_id].denied
        return channel.denied

    # ------------------------------------------------------------ permissions

    def bot_permissions(self, channel: Channel) -> int:
        if channel.is_dm:
            return EVERYONE_PERMISSIONS
        denied = self.denied(channel)
        if "VIEW_CHANNEL" in denied:
            return 0
        return BOT_ROLE_PERMISSIONS & ~permission_bits(denied)

    def member_permissions(self, guild: Guild, user: User) -> int:
        member = guild.members.get(user.id)
        if user.id == guild.owner_id or (member and member.permissions & ADMINISTRATOR):
            return ALL_PERMISSIONS
        return member.permissions if member else 0

    # ------------------------------------------------------------ payloads

    def message_payload(self, message: Message) -> JSON:
        return message.payload(self.base_url.removesuffix("/api/v10"))

    def channel_payload(self, channel: Channel) -> JSON:
        data: JSON = {
            "id": str(channel.id),
            "type": channel.type,
            "last_message_id": str(channel.last_message_id) if channel.last_message_id else None,
            "flags": 0,
        }
        if channel.type == DM:
            data["recipients"] = [channel.recipient.payload()] if channel.recipient else []
            return data
        data.update(guild_id=str(channel.guild_id), name=channel.name, rate_limit_per_user=0)
        if channel.type == PUBLIC_THREAD:
            data.update(
                parent_id=str(channel.parent_id),
                owner_id=str(channel.owner_id),
                message_count=0,
                member_count=1,
                total_message_sent=0,
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "locked": False,
                    "archive_timestamp": iso(self.clock()),
                    "create_timestamp": iso(self.clock()),
                },
            )
            return data
        overwrites = []
        if channel.denied:
            overwrites.append(
                {
                    "id": str(self.bot_user.id),
                    "type": 1,
                    "allow": "0",
                    "deny": str(permission_bits(channel.denied)),
                }
            )
        data.update(
            position=channel.position,
            permission_overwrites=overwrites,
            parent_id=None,
            nsfw=False,
            topic=None,
            default_auto_archive_duration=1440,
        )
        return data

    def guild_payload(self, guild: Guild) -> JSON:
        channels = [self.channels[c] for c in guild.channel_ids if not self.channels[c].deleted]
        everyone = {
            "id": str(guild.id),
            "name": "@everyone",
            "permissions": str(EVERYONE_PERMISSIONS),
            "position": 0,
        }
        bot_role = {
            "id": str(guild.bot_role_id),
            "name": self.bot_user.name,
            "permissions": str(BOT_ROLE_PERMISSIONS),
            "position": 1,
            "managed": True,
            "tags": {"bot_id": str(self.bot_user.id)},
        }
        roles = [
            {
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
                "icon": None,
                "unicode_emoji": None,
                **role,
            }
            for role in (everyone, bot_role)
        ]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "owner_id": str(guild.owner_id),
            "unavailable": False,
            "large": False,
            "member_count": len(guild.members),
            "joined_at": iso(self.clock()),
            "roles": roles,
            "channels": [self.channel_payload(c) for c in channels if not c.is_thread],
            "threads": [self.channel_payload(c) for c in channels if c.is_thread],
            "members": [m.payload() for m in guild.members.values()],
            "presences": [],
            "voice_states": [],
            "emojis": [],
            "stickers": [],
            "features": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "afk_timeout": 300,
            "description": None,
        }

    def member_payload(self, guild: Guild, user: User) -> JSON:
        return {
            **guild.members[user.id].payload(),
            "permissions": str(self.member_permissions(guild, user)),
        }

    def add_member(
        self, guild: Guild, user: User, permissions: int, roles: list[int] | None = None
    ) -> Member:
        self.users[user.id] = user
        member = guild.members[user.id] = Member(user, permissions, roles or [])
        return member
