"""Channel messages, threads and DM channels, with permission and rate-limit checks."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from aiohttp import web

from .gateway import DIRECT_MESSAGES, GUILD_MESSAGES, GUILDS, Gateway
from .models import (
    DM,
    IS_COMPONENTS_V2,
    IS_VOICE_MESSAGE,
    JSON,
    LOADING,
    PUBLIC_THREAD,
    SUPPRESS_EMBEDS,
    SUPPRESS_NOTIFICATIONS,
    Attachment,
    Channel,
    Message,
    iso,
)
from .rest_common import API, json_response, no_content, rate_limited, read_body, snowflake
from .sends import nonce_problem
from .state import ApiError, EmulatorState
from .validate import FormErrors, message_is_empty, validate_message

CHANNEL_MESSAGE_FLAGS = (
    SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_COMPONENTS_V2 | IS_VOICE_MESSAGE
)


def check_message(payload: JSON, files: list[Attachment], *, creating: bool) -> None:
    """50035 for anything over Discord's limits; 50006 for an empty new message."""
    errors = FormErrors()
    validate_message(payload, errors)
    if errors:
        raise ApiError(400, 50035, "Invalid Form Body", errors.tree, violation=True)
    if creating and message_is_empty(payload, len(files)):
        raise ApiError(400, 50006, "Cannot send an empty message", violation=True)


def new_message(
    state: EmulatorState,
    channel: Channel,
    payload: JSON,
    files: list[Attachment],
    allowed_flags: int,
    **fields: object,
) -> Message:
    message = Message(
        id=state.ids.next(),
        created_at=state.clock(),
        channel_id=channel.id,
        guild_id=channel.guild_id,
        author=state.bot_user,
        content=payload.get("content") or "",
        embeds=payload.get("embeds") or [],
        components=payload.get("components") or [],
        flags=(payload.get("flags") or 0) & allowed_flags,
        poll=_poll(state, payload.get("poll")),
        **fields,  # type: ignore[arg-type]
    )
    message.attachments = list(files)
    message.attachment_ids = [state.ids.next() for _ in files]
    state.messages[message.id] = message
    if not message.ephemeral:
        channel.last_message_id = message.id
    return message


def _nonce(payload: JSON) -> str | None:
    """The request's nonce as Discord keeps it (a string), or 50035 for a bad one."""
    nonce = payload.get("nonce")
    if nonce is None:
        return None
    problem = nonce_problem(nonce)
    if problem is not None:
        errors = {"nonce": {"_errors": [{"code": "BASE_TYPE_BAD_NONCE", "message": problem}]}}
        raise ApiError(400, 50035, "Invalid Form Body", errors, violation=True)
    return str(nonce)


def _poll(state: EmulatorState, request: JSON | None) -> JSON | None:
    """A poll create request turned into the poll object messages carry."""
    if not request:
        return None
    answers = [
        {"answer_id": i + 1, "poll_media": a.get("poll_media", {})}
        for i, a in enumerate(request["answers"])
    ]
    expiry = state.clock() + timedelta(hours=request.get("duration", 24))
    return {
        "question": request.get("question", {}),
        "answers": answers,
        "expiry": iso(expiry),
        "allow_multiselect": request.get("allow_multiselect", False),
        "layout_type": 1,
        "results": {"is_finalized": False, "answer_counts": []},
    }


def apply_edit(
    state: EmulatorState,
    message: Message,
    payload: JSON,
    files: list[Attachment],
    *,
    as_edit: bool = True,
) -> None:
    """A PATCH: present fields replace, `attachments` lists the ones kept, new files are added.

    The ephemeral flag never changes; `as_edit=False` fills a deferred reply without counting
    as an edit.
    """
    check_message(payload, files, creating=False)
    attachments, attachment_ids = message.attachments, message.attachment_ids
    if "attachments" in payload:
        kept = {
            int(a["id"])
            for a in payload["attachments"] or []
            if int(a["id"]) in message.attachment_ids
        }
        pairs = [
            (i, a)
            for i, a in zip(message.attachment_ids, message.attachments, strict=True)
            if i in kept
        ]
        attachment_ids, attachments = [i for i, _ in pairs], [a for _, a in pairs]
    candidate = dataclasses.replace(
        message,
        content=(payload["content"] or "") if "content" in payload else message.content,
        embeds=(payload["embeds"] or []) if "embeds" in payload else message.embeds,
        components=(payload["components"] or []) if "components" in payload else message.components,
        attachments=attachments + files,
        attachment_ids=attachment_ids + [state.ids.next() for _ in files],
    )
    if candidate.is_empty():
        raise ApiError(400, 50006, "Cannot send an empty message", violation=True)
    flags = message.flags & ~(SUPPRESS_EMBEDS | LOADING)
    if "flags" in payload:
        flags |= (payload["flags"] or 0) & (SUPPRESS_EMBEDS | IS_COMPONENTS_V2)
    else:
        flags |= message.flags & SUPPRESS_EMBEDS
    message.content, message.embeds, message.components = (
        candidate.content,
        candidate.embeds,
        candidate.components,
    )
    message.attachments, message.attachment_ids = candidate.attachments, candidate.attachment_ids
    message.flags = flags
    if as_edit:
        message.edits += 1
        message.edited_at = state.clock()


async def announce(state: EmulatorState, gateway: Gateway, message: Message, event: str) -> None:
    """MESSAGE_CREATE / UPDATE / DELETE to the bot, as Discord echoes its own messages back."""
    if message.ephemeral:
        return
    intent = DIRECT_MESSAGES if message.guild_id is None else GUILD_MESSAGES
    if event == "MESSAGE_DELETE":
        data: JSON = {"id": str(message.id), "channel_id": str(message.channel_id)}
        if message.guild_id is not None:
            data["guild_id"] = str(message.guild_id)
    else:
        data = state.message_payload(message)
        if event == "MESSAGE_CREATE" and message.nonce is not None:
            data["nonce"] = message.nonce
    await gateway.dispatch(message.guild_id, event, data, intent)


class MessageRoutes:
    def __init__(self, state: EmulatorState, gateway: Gateway) -> None:
        self.state, self.gateway = state, gateway

    def routes(self) -> list[web.RouteDef]:
        messages = f"{API}/channels/{{channel_id}}/messages"
        return [
            web.post(messages, self.create),
            web.get(messages, self.history),
            web.get(f"{messages}/{{message_id}}", self.fetch),
            web.patch(f"{messages}/{{message_id}}", self.edit),
            web.delete(f"{messages}/{{message_id}}", self.delete),
            web.post(f"{messages}/{{message_id}}/threads", self.start_thread),
            web.post(f"{API}/channels/{{channel_id}}/typing", self.typing),
            web.post(f"{API}/users/@me/channels", self.open_dm),
        ]

    async def create(self, request: web.Request) -> web.Response:
        state = self.state
        channel = state.channel(snowflake(request, "channel_id"))
        retry_after, headers = state.rate_limits.check_channel_messages(channel.id)
        try:
            if retry_after is not None:
                raise rate_limited(retry_after, is_global=False)
            if channel.is_dm and channel.recipient is not None and channel.recipient.dms_closed:
                raise ApiError(403, 50007, "Cannot send messages to this user")
            state.require(
                channel, "SEND_MESSAGES_IN_THREADS" if channel.is_thread else "SEND_MESSAGES"
            )
            payload, files = await read_body(request)
            if payload.get("embeds"):
                state.require(channel, "EMBED_LINKS")
            if files:
                state.require(channel, "ATTACH_FILES")
            check_message(payload, files, creating=True)
            nonce = _nonce(payload)
        except ApiError as error:
            error.headers = {**headers, **error.headers}
            raise
        hold = state.take_hold(channel.id)
        if hold is not None:
            hold.nonce = nonce
        if hold is not None and not hold.created and not await hold.hold():
            return json_response({"message": "the client went away"}, status=499)
        if nonce is not None and payload.get("enforce_nonce"):
            earlier = state.nonces.earlier(channel.id, nonce)
            if earlier is not None:  # Discord returns the message it created then
                message = state.message(channel, earlier)
                data = {**state.message_payload(message), "nonce": nonce}
                return json_response(data, headers=headers)
        message = new_message(state, channel, payload, files, CHANNEL_MESSAGE_FLAGS, nonce=nonce)
        if nonce is not None:
            state.nonces.remember(channel.id, nonce, message.id)
        await announce(state, self.gateway, message, "MESSAGE_CREATE")
        if hold is not None and hold.created:
            hold.message = message
            await hold.hold()  # dropped: the bot died before it heard back
        data = {**state.message_payload(message), "nonce": nonce}
        return json_response(data, headers=headers)

    async def history(self, request: web.Request) -> web.Response:
        """Newest first, as Discord: the page after `after`, before `before` or around `around`.
        Without READ_MESSAGE_HISTORY the list is empty, as on Discord."""
        channel = self.state.channel(snowflake(request, "channel_id"))
        if "READ_MESSAGE_HISTORY" in self.state.denied(channel):
            return json_response([])
        query = request.query
        limit = max(1, min(100, int(query.get("limit", 50))))
        before, after = int(query.get("before", 1 << 63)), int(query.get("after", 0))
        found = sorted(
            (
                m
                for m in self.state.messages.values()
                if m.channel_id == channel.id
                and not m.deleted
                and not m.ephemeral
                and after < m.id < before
            ),
            key=lambda m: m.id,
        )
        if "around" in query:
            middle = sum(1 for m in found if m.id < int(query["around"]))
            page = found[max(0, middle - limit // 2) :][:limit]
        elif "after" in query and "before" not in query:
            page = found[:limit]
        else:
            page = found[-limit:]
        return json_response([self.state.message_payload(m) for m in reversed(page)])

    async def fetch(self, request: web.Request) -> web.Response:
        channel = self.state.channel(snowflake(request, "channel_id"))
        message = self.state.message(channel, snowflake(request, "message_id"))
        return json_response(self.state.message_payload(message))

    async def edit(self, request: web.Request) -> web.Response:
        state = self.state
        channel = state.channel(snowflake(request, "channel_id"))
        message = state.message(channel, snowflake(request, "message_id"))
        payload, files = await read_body(request)
        if payload.get("embeds"):
            state.require(channel, "EMBED_LINKS")
        if files:
            state.require(channel, "ATTACH_FILES")
        apply_edit(state, message, payload, files)
        await announce(state, self.gateway, message, "MESSAGE_UPDATE")
        return json_response(state.message_payload(message))

    async def delete(self, request: web.Request) -> web.Response:
        channel = self.state.channel(snowflake(request, "channel_id"))
        message = self.state.message(channel, snowflake(request, "message_id"))
        message.deleted = True
        await announce(self.state, self.gateway, message, "MESSAGE_DELETE")
        return no_content()

    async def start_thread(self, request: web.Request) -> web.Response:
        state = self.state
        channel = state.channel(snowflake(request, "channel_id"))
        if channel.type != 0:
            raise ApiError(400, 50024, "Cannot execute action on this channel type", violation=True)
        message = state.message(channel, snowflake(request, "message_id"))
        state.require(channel, "CREATE_PUBLIC_THREADS")
        payload, _ = await read_body(request)
        errors = FormErrors()
        errors.length(["name"], payload.get("name"), 1, 100)
        if errors:
            raise ApiError(400, 50035, "Invalid Form Body", errors.tree, violation=True)
        if message.thread is not None:
            raise ApiError(
                400, 160004, "A thread has already been created for this message", violation=True
            )
        thread = Channel(
            id=message.id,
            type=PUBLIC_THREAD,
            name=payload["name"],
            guild_id=channel.guild_id,
            parent_id=channel.id,
            owner_id=state.bot_user.id,
        )
        state.channels[thread.id] = thread
        assert channel.guild_id is not None  # a guild text channel
        state.guilds[channel.guild_id].channel_ids.append(thread.id)
        message.thread = thread
        data = state.channel_payload(thread)
        await self.gateway.dispatch(
            thread.guild_id, "THREAD_CREATE", {**data, "newly_created": True}, GUILDS
        )
        return json_response(data, status=201)

    async def typing(self, request: web.Request) -> web.Response:
        channel = self.state.channel(snowflake(request, "channel_id"))
        if not channel.is_dm:
            self.state.require(
                channel, "SEND_MESSAGES_IN_THREADS" if channel.is_thread else "SEND_MESSAGES"
            )
        return no_content()

    async def open_dm(self, request: web.Request) -> web.Response:
        state = self.state
        payload, _ = await read_body(request)
        if state.dm_open_rate_limited:
            raise ApiError(403, 40003, "You are opening direct messages too fast.")
        try:
            recipient = state.users[int(payload["recipient_id"])]
        except (KeyError, TypeError, ValueError):
            raise ApiError(404, 10013, "Unknown User") from None
        if recipient.bot:
            raise ApiError(400, 50007, "Cannot send messages to this user", violation=True)
        channel = state.dm_channels.get(recipient.id)
        if channel is None:
            channel = Channel(id=state.ids.next(), type=DM, name="", recipient=recipient)
            state.channels[channel.id] = channel
            state.dm_channels[recipient.id] = channel
        return json_response(state.channel_payload(channel))
