"""Interaction callbacks (3 s deadline, single acknowledgement) and the interaction webhooks."""

from __future__ import annotations

import time

from aiohttp import web

from .gateway import Gateway
from .models import (
    CHAT_INPUT_COMMAND,
    DEFAULT_MESSAGE,
    EPHEMERAL,
    IS_COMPONENTS_V2,
    JSON,
    LOADING,
    SUPPRESS_EMBEDS,
    SUPPRESS_NOTIFICATIONS,
    Attachment,
    InteractionRecord,
    Message,
)
from .rest_common import API, json_response, no_content, read_body, snowflake
from .rest_messages import announce, apply_edit, check_message, new_message
from .state import ApiError, EmulatorState
from .validate import FormErrors, validate_choices, validate_modal

RESPONSE_FLAGS = EPHEMERAL | SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_COMPONENTS_V2
# interaction type -> the callback types Discord accepts for it
ALLOWED_RESPONSES = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}


class InteractionRoutes:
    def __init__(self, state: EmulatorState, gateway: Gateway) -> None:
        self.state, self.gateway = state, gateway

    def routes(self) -> list[web.RouteDef]:
        webhook = f"{API}/webhooks/{{app_id}}/{{token}}"
        return [
            web.post(f"{API}/interactions/{{interaction_id}}/{{token}}/callback", self.callback),
            web.post(webhook, self.followup),
            web.get(f"{webhook}/messages/{{message_id}}", self.fetch),
            web.patch(f"{webhook}/messages/{{message_id}}", self.edit),
            web.delete(f"{webhook}/messages/{{message_id}}", self.delete),
        ]

    # ------------------------------------------------------------ the initial response

    async def callback(self, request: web.Request) -> web.Response:
        record = self.state.interactions.get(snowflake(request, "interaction_id"))
        if record is None or record.token != request.match_info["token"]:
            raise ApiError(404, 10062, "Unknown interaction", violation=True)
        try:
            return await self._callback(request, record)
        except ApiError as error:
            record.rejected.append(f"{error.code} {error.message}: {error.errors or ''}")
            raise

    async def _callback(self, request: web.Request, record: InteractionRecord) -> web.Response:
        state = self.state
        if record.response_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.", violation=True)
        arrived = time.monotonic()
        elapsed = arrived - record.sent_at
        if elapsed > state.interaction_deadline:
            state.record_missed_deadline(
                record,
                f"initial response after {elapsed:.2f}s (deadline {state.interaction_deadline}s)",
            )
            raise ApiError(404, 10062, "Unknown interaction")
        body, files = await read_body(request)
        kind, data = body.get("type"), body.get("data") or {}
        if kind not in ALLOWED_RESPONSES[record.type] or (kind in (6, 7) and record.source is None):
            errors = FormErrors()
            reason = f"Response type {kind} is invalid for interaction type {record.type}"
            errors.add(["type"], "INTERACTION_RESPONSE_TYPE_INVALID", reason)
            raise ApiError(400, 50035, "Invalid Form Body", errors.tree, violation=True)
        message = await self._respond(record, kind, data, files)
        record.response_type, record.response = kind, data
        record.acknowledged_at = arrived
        record.settled = kind not in (5, 6)
        state.touch(record)
        interaction: JSON = {
            "id": str(record.id),
            "type": record.type,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(message and message.ephemeral),
        }
        resource: JSON = {"type": kind}
        if message is not None:
            interaction["response_message_id"] = str(message.id)
            resource["message"] = state.message_payload(message)
        return json_response({"interaction": interaction, "resource": resource})

    async def _respond(
        self, record: InteractionRecord, kind: int, data: JSON, files: list[Attachment]
    ) -> Message | None:
        """Validates and applies the callback; returns the message it created or updated
        (none for type 6, which only acknowledges)."""
        state = self.state
        errors = FormErrors()
        if kind == 9:
            validate_modal(data, errors)
        elif kind == 8:
            validate_choices(data.get("choices"), errors, ["data", "choices"])
        if errors:
            raise ApiError(400, 50035, "Invalid Form Body", errors.tree, violation=True)
        if kind == 4:
            check_message(data, files, creating=True)
            message_type = CHAT_INPUT_COMMAND if record.type == 2 else DEFAULT_MESSAGE
            record.original = self._message(record, data, files, RESPONSE_FLAGS, message_type)
            await announce(state, self.gateway, record.original, "MESSAGE_CREATE")
            return record.original
        if kind == 5:
            loading = {"flags": LOADING | ((data.get("flags") or 0) & EPHEMERAL)}
            record.original = self._message(
                record, loading, [], LOADING | EPHEMERAL, CHAT_INPUT_COMMAND
            )
            await announce(state, self.gateway, record.original, "MESSAGE_CREATE")
            return record.original
        if kind in (6, 7):
            assert record.source is not None
            if kind == 7:
                apply_edit(state, record.source, data, files)
                await announce(state, self.gateway, record.source, "MESSAGE_UPDATE")
            record.original = record.source
            return record.source if kind == 7 else None
        return None

    def _message(
        self,
        record: InteractionRecord,
        data: JSON,
        files: list[Attachment],
        allowed_flags: int,
        message_type: int,
    ) -> Message:
        message = new_message(
            self.state,
            record.channel,
            data,
            files,
            allowed_flags,
            type=message_type,
            application_id=self.state.application_id,
            interaction_metadata=self._metadata(record),
        )
        if message.ephemeral:
            message.visible_to = record.user.id
        return message

    def _metadata(self, record: InteractionRecord) -> JSON:
        owners = {"0": str(record.channel.guild_id or 0)}
        metadata: JSON = {
            "id": str(record.id),
            "type": record.type,
            "user": record.user.payload(),
            "authorizing_integration_owners": owners,
        }
        if record.source is not None:
            metadata["interacted_message_id"] = str(record.source.id)
        return metadata

    # ------------------------------------------------------------ follow-ups and @original

    def _record(self, request: web.Request) -> InteractionRecord:
        state = self.state
        token = request.match_info["token"]
        record = next((r for r in state.interactions.values() if r.token == token), None)
        if snowflake(request, "app_id") != state.application_id or record is None:
            raise ApiError(404, 10015, "Unknown Webhook", violation=True)
        if time.monotonic() - record.sent_at > state.token_lifetime:
            raise ApiError(401, 50027, "Invalid Webhook Token", violation=True)
        if record.response_type is None:
            raise ApiError(
                404,
                10015,
                "Unknown Webhook: the interaction has not been acknowledged",
                violation=True,
            )
        return record

    def _target(self, record: InteractionRecord, message_id: str) -> Message:
        if message_id == "@original":
            target = record.original
        else:
            target = next((m for m in record.followups if str(m.id) == message_id), None)
            if (
                target is None
                and record.original is not None
                and str(record.original.id) == message_id
            ):
                target = record.original
        if target is None or target.deleted:
            raise ApiError(404, 10008, "Unknown Message", violation=True)
        return target

    async def followup(self, request: web.Request) -> web.Response:
        state = self.state
        record = self._record(request)
        payload, files = await read_body(request)
        check_message(payload, files, creating=True)
        original = record.original
        if record.response_type == 5 and original is not None and original.loading:
            # The first follow-up after a deferred reply replaces the "thinking..." message.
            apply_edit(state, original, payload, files, as_edit=False)
            message, event = original, "MESSAGE_UPDATE"
        else:
            message = self._message(record, payload, files, RESPONSE_FLAGS, DEFAULT_MESSAGE)
            event = "MESSAGE_CREATE"
        record.followups.append(message)
        record.settled = True
        self.state.touch(record)
        await announce(state, self.gateway, message, event)
        if request.query.get("wait") in ("1", "true", "True"):
            return json_response(state.message_payload(message))
        return no_content()

    async def fetch(self, request: web.Request) -> web.Response:
        message = self._target(self._record(request), request.match_info["message_id"])
        return json_response(self.state.message_payload(message))

    async def edit(self, request: web.Request) -> web.Response:
        record = self._record(request)
        message = self._target(record, request.match_info["message_id"])
        payload, files = await read_body(request)
        apply_edit(self.state, message, payload, files)
        if message is record.original:
            record.settled = True
            self.state.touch(record)
        await announce(self.state, self.gateway, message, "MESSAGE_UPDATE")
        return json_response(self.state.message_payload(message))

    async def delete(self, request: web.Request) -> web.Response:
        record = self._record(request)
        message = self._target(record, request.match_info["message_id"])
        message.deleted = True
        record.settled = True
        self.state.touch(record)
        await announce(self.state, self.gateway, message, "MESSAGE_DELETE")
        return no_content()
