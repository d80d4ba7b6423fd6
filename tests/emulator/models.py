"""The emulator's view of Discord's objects, and the records tests read back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

DISCORD_EPOCH_MS = 1_420_070_400_000

# Message flags
SUPPRESS_EMBEDS = 1 << 2
EPHEMERAL = 1 << 6
LOADING = 1 << 7
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_VOICE_MESSAGE = 1 << 13
IS_COMPONENTS_V2 = 1 << 15

# Channel types
GUILD_TEXT = 0
DM = 1
PUBLIC_THREAD = 11

# Message types
DEFAULT_MESSAGE = 0
CHAT_INPUT_COMMAND = 20

JSON = dict[str, Any]


def utcnow() -> datetime:
    return datetime.now(UTC)


Clock = Callable[[], datetime]


class SnowflakeFactory:
    """Monotonic snowflakes whose timestamp part is the emulator's clock (wall time unless
    the test gives its own clock)."""

    def __init__(self, clock: Clock = utcnow) -> None:
        self.clock = clock
        self._last = 0

    def next(self) -> int:
        now = (int(self.clock().timestamp() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(now, self._last + 1)
        return self._last


def iso(moment: datetime) -> str:
    return moment.isoformat()


@dataclass(eq=False)
class User:
    id: int
    name: str
    bot: bool = False
    dms_closed: bool = False

    def payload(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": None if self.bot else self.name,
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass(eq=False)
class Member:
    user: User
    permissions: int
    roles: list[int] = field(default_factory=list)
    joined_at: datetime = field(default_factory=utcnow)

    def payload(self) -> JSON:
        return {
            "user": self.user.payload(),
            "roles": [str(role) for role in self.roles],
            "joined_at": iso(self.joined_at),
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
        }


@dataclass(eq=False)
class Guild:
    id: int
    name: str
    owner_id: int
    bot_role_id: int
    members: dict[int, Member] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)


@dataclass(eq=False)
class Channel:
    id: int
    type: int
    name: str
    guild_id: int | None = None
    parent_id: int | None = None
    denied: set[str] = field(default_factory=set)
    deleted: bool = False
    recipient: User | None = None
    owner_id: int | None = None
    position: int = 0
    last_message_id: int | None = None

    @property
    def is_dm(self) -> bool:
        return self.type == DM

    @property
    def is_thread(self) -> bool:
        return self.type == PUBLIC_THREAD


class Attachment(NamedTuple):
    filename: str
    data: bytes
    content_type: str


def walk_components(components: list[JSON]) -> Iterator[JSON]:
    """Every component at any depth: rows, v2 containers, sections, labels."""
    for component in components:
        yield component
        yield from walk_components(component.get("components", []))
        for key in ("component", "accessory"):
            if isinstance(component.get(key), dict):
                yield from walk_components([component[key]])


SELECT_TYPES = frozenset({3, 5, 6, 7, 8})


@dataclass(eq=False)
class Message:
    id: int
    channel_id: int
    author: User
    guild_id: int | None = None
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    attachment_ids: list[int] = field(default_factory=list)
    flags: int = 0
    type: int = DEFAULT_MESSAGE
    poll: JSON | None = None
    edits: int = 0
    thread: Channel | None = None
    application_id: int | None = None  # set on interaction responses and follow-ups
    interaction_metadata: JSON | None = None
    visible_to: int | None = None  # the only user who sees an ephemeral message
    deleted: bool = False
    created_at: datetime = field(default_factory=utcnow)
    edited_at: datetime | None = None
    nonce: str | None = None  # echoed in the create response and MESSAGE_CREATE only

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & LOADING)

    def buttons(self) -> list[JSON]:
        return [
            {
                "custom_id": c.get("custom_id"),
                "label": c.get("label"),
                "style": c.get("style"),
                "disabled": c.get("disabled", False),
                "url": c.get("url"),
            }
            for c in walk_components(self.components)
            if c.get("type") == 2
        ]

    def selects(self) -> list[JSON]:
        return [c for c in walk_components(self.components) if c.get("type") in SELECT_TYPES]

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]

    def find_component(self, custom_id: str) -> JSON | None:
        for component in walk_components(self.components):
            if component.get("custom_id") == custom_id:
                return component
        return None

    def is_empty(self) -> bool:
        return not (self.content or self.embeds or self.components or self.attachments or self.poll)

    def payload(self, base_url: str) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": iso(self.created_at),
            "edited_timestamp": iso(self.edited_at) if self.edited_at else None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                self._attachment_payload(base_url, attachment_id, attachment)
                for attachment_id, attachment in zip(
                    self.attachment_ids, self.attachments, strict=True
                )
            ],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.application_id is not None:
            data["webhook_id"] = data["application_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if self.poll is not None:
            data["poll"] = self.poll
        return data

    def _attachment_payload(
        self, base_url: str, attachment_id: int, attachment: Attachment
    ) -> JSON:
        url = f"{base_url}/attachments/{self.channel_id}/{attachment_id}/{attachment.filename}"
        return {
            "id": str(attachment_id),
            "filename": attachment.filename,
            "size": len(attachment.data),
            "url": url,
            "proxy_url": url,
            "content_type": attachment.content_type,
        }


@dataclass(eq=False)
class InteractionRecord:
    """One interaction the emulator sent, and everything the bot did with it."""

    id: int
    token: str
    type: int
    name: str
    user: User
    channel: Channel
    data: JSON
    source: Message | None = None  # the message whose component was used
    sent_at: float = 0.0
    response_type: int | None = None
    response: JSON | None = None  # the callback's data: message fields, modal or choices
    original: Message | None = None
    followups: list[Message] = field(default_factory=list)
    settled: bool = False  # responded for good: not a defer still waiting for its follow-up or edit
    acknowledged_at: float | None = None  # time.monotonic() when the accepted callback arrived
    settled_at: float | None = None  # time.monotonic() when it settled (the member sees it)
    missed: bool = False
    rejected: list[str] = field(default_factory=list)  # refused callbacks, for error messages


class Violation(NamedTuple):
    route: str
    code: int
    detail: Any


class UnknownRoute(NamedTuple):
    method: str
    path: str


class MissedDeadline(NamedTuple):
    interaction_id: int
    name: str
    detail: str


class RequestRecord(NamedTuple):
    method: str
    path: str
    status: int
    time: float
