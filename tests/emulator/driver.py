"""Driving interactions as a user's Discord client would, and waiting for the bot's answer."""

# ruff: noqa: ASYNC109  -- `timeout=` parameters are this test API's documented interface

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time

from .gateway import Gateway
from .interactions import (
    EmulatorError,
    InteractionFailed,
    InteractionResult,
    OptionValue,
    command_data,
    component_data,
    interaction_payload,
    modal_submit_data,
)
from .models import JSON, Channel, InteractionRecord, Message, User
from .state import EmulatorState

DEADLINE_GRACE = 0.25  # lets a callback that arrived just before the deadline finish being handled


class InteractionDriver:
    """The interaction half of DiscordEmulator: slash, autocomplete, click, select, submit_modal."""

    state: EmulatorState
    gateway: Gateway
    _timers: list[asyncio.TimerHandle]

    async def slash(
        self,
        user: User,
        channel: Channel,
        command: str,
        options: dict[str, OptionValue] | None = None,
        *,
        timeout: float = 5.0,
    ) -> InteractionResult:
        data = command_data(self.state, channel, user, command, options or {})
        return await self._run(self._record(2, f"/{command}", user, channel, data), timeout)

    async def autocomplete(
        self,
        user: User,
        channel: Channel,
        command: str,
        options: dict[str, OptionValue],
        focused: str,
        *,
        timeout: float = 5.0,
    ) -> list[JSON]:
        data = command_data(self.state, channel, user, command, options, focused)
        result = await self._run(
            self._record(4, f"/{command} autocomplete {focused}", user, channel, data), timeout
        )
        return result.choices

    async def click(
        self, user: User, message: Message, custom_id: str, *, timeout: float = 5.0
    ) -> InteractionResult:
        return await self._component(user, message, custom_id, None, timeout)

    async def select(
        self,
        user: User,
        message: Message,
        custom_id: str,
        values: list[str],
        *,
        timeout: float = 5.0,
    ) -> InteractionResult:
        return await self._component(user, message, custom_id, values, timeout)

    async def submit_modal(
        self,
        user: User,
        shown_by: InteractionResult | Message,
        custom_id: str,
        values: dict[str, str | list[str]],
        *,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Submits a modal the bot showed in answer to `shown_by` (or to a component on it)."""
        shown = self._shown_modal(shown_by, custom_id)
        if shown.user is not user:
            raise EmulatorError(
                f"modal {custom_id!r} was shown to {shown.user.name}, not {user.name}"
            )
        data = modal_submit_data(shown.response or {}, values)
        record = self._record(
            5, f"modal {custom_id}", user, shown.channel, data, source=shown.source
        )
        return await self._run(record, timeout)

    async def _component(
        self, user: User, message: Message, custom_id: str, values: list[str] | None, timeout: float
    ) -> InteractionResult:
        current = self.state.messages.get(message.id)
        if current is None:
            raise EmulatorError(f"the emulator never saw message {message.id}")
        data = component_data(current, user, custom_id, values)
        channel = self.state.channels[current.channel_id]
        if channel.is_dm and channel.recipient is not user:
            raise EmulatorError(f"{user.name} cannot see a message in another user's DMs")
        return await self._run(
            self._record(3, custom_id, user, channel, data, source=current), timeout
        )

    def _shown_modal(
        self, shown_by: InteractionResult | Message, custom_id: str
    ) -> InteractionRecord:
        if isinstance(shown_by, InteractionResult):
            candidates = [shown_by.record]
        else:
            records = reversed(list(self.state.interactions.values()))
            candidates = [r for r in records if r.source is not None and r.source.id == shown_by.id]
        for record in candidates:
            if record.response_type == 9 and (record.response or {}).get("custom_id") == custom_id:
                return record
        raise EmulatorError(f"the bot showed no modal {custom_id!r} for {shown_by!r}")

    def _record(
        self,
        kind: int,
        name: str,
        user: User,
        channel: Channel,
        data: JSON,
        source: Message | None = None,
    ) -> InteractionRecord:
        return InteractionRecord(
            id=self.state.ids.next(),
            token=secrets.token_urlsafe(32),
            type=kind,
            name=name,
            user=user,
            channel=channel,
            data=data,
            source=source,
        )

    async def _run(self, record: InteractionRecord, timeout: float) -> InteractionResult:
        """Sends INTERACTION_CREATE and waits for the initial response; after a defer, also for
        the first follow-up or @original edit (until `timeout`)."""
        state = self.state
        channel = record.channel
        parent = state.channels.get(channel.parent_id) if channel.parent_id else None
        if channel.deleted or (parent is not None and parent.deleted):
            raise EmulatorError(f"channel {channel.name!r} was deleted")
        guild_id = channel.guild_id
        if not self.gateway.sessions_for(guild_id):
            raise EmulatorError(
                f"no connected bot session receives events for {record.channel.name or 'DMs'}"
            )
        record.sent_at = time.monotonic()
        state.interactions[record.id] = record
        loop = asyncio.get_running_loop()
        self._timers.append(
            loop.call_later(state.interaction_deadline, self._check_deadline, record)
        )
        await self.gateway.dispatch(
            guild_id, "INTERACTION_CREATE", interaction_payload(state, record)
        )
        first_wait = min(timeout, state.interaction_deadline + DEADLINE_GRACE)
        try:
            await state.wait_for(
                lambda: record.response_type is not None, first_wait, record=record
            )
        except TimeoutError:
            rejected = "".join(f"\n  rejected: {reason}" for reason in record.rejected)
            raise InteractionFailed(
                f"{record.name}: the bot made no initial response in time "
                f"(deadline {state.interaction_deadline}s){rejected}"
            ) from None
        remaining = timeout - (time.monotonic() - record.sent_at)
        with contextlib.suppress(TimeoutError):
            await state.wait_for(lambda: record.settled, max(0.0, remaining), record=record)
        return InteractionResult(record)

    def _check_deadline(self, record: InteractionRecord) -> None:
        if record.response_type is None:
            self.state.record_missed_deadline(
                record, f"no initial response within {self.state.interaction_deadline}s"
            )
