"""Interactions the way a Discord client builds them, and what a test reads back."""

from __future__ import annotations

from typing import Any

from .models import (
    EPHEMERAL,
    JSON,
    SELECT_TYPES,
    Channel,
    InteractionRecord,
    Message,
    User,
    walk_components,
)
from .state import ADMINISTRATOR, ATTACHMENT_SIZE_LIMIT, EmulatorState

OptionValue = str | int | float | bool | User | Channel


class EmulatorError(AssertionError):
    """The test asked for something a real user with a real Discord client could not do."""


class InteractionFailed(EmulatorError):
    """The user would see "The application did not respond"."""


class InteractionResult:
    """A live view of one interaction: later follow-ups and edits show up here too."""

    def __init__(self, record: InteractionRecord) -> None:
        self.record = record

    @property
    def type(self) -> int | None:
        return self.record.response_type

    @property
    def message(self) -> Message | None:
        return self.record.original

    @property
    def ephemeral(self) -> bool:
        if self.message is not None:
            return self.message.ephemeral
        return bool((self.record.response or {}).get("flags", 0) & EPHEMERAL)

    @property
    def content(self) -> str:
        return self.message.content if self.message else ""

    @property
    def embeds(self) -> list[JSON]:
        return self.message.embeds if self.message else []

    @property
    def components(self) -> list[JSON]:
        return self.message.components if self.message else []

    @property
    def followups(self) -> list[Message]:
        return list(self.record.followups)

    @property
    def modal(self) -> JSON | None:
        return self.record.response if self.type == 9 else None

    @property
    def acknowledged_in(self) -> float | None:
        """Seconds from dispatch to the accepted initial response (what Discord's 3-second
        deadline measures); None when there was none."""
        record = self.record
        return None if record.acknowledged_at is None else record.acknowledged_at - record.sent_at

    @property
    def settled_in(self) -> float | None:
        """Seconds from dispatch until the member saw the answer: the initial response, or
        after a defer its first follow-up or @original edit; None when it never came."""
        record = self.record
        return None if record.settled_at is None else record.settled_at - record.sent_at

    @property
    def choices(self) -> list[JSON]:
        return (self.record.response or {}).get("choices", []) if self.type == 8 else []

    def __repr__(self) -> str:
        return (
            f"<InteractionResult {self.record.name!r} type={self.type} ephemeral={self.ephemeral} "
            f"content={self.content!r} followups={len(self.record.followups)}>"
        )


# ---------------------------------------------------------------- application commands


def command_data(
    state: EmulatorState,
    channel: Channel,
    user: User,
    path: str,
    options: dict[str, OptionValue],
    focused: str | None = None,
) -> JSON:
    """The `data` of a CHAT_INPUT (or autocomplete) interaction for "name [group] [subcommand]"."""
    words = path.split()
    if not words:
        raise EmulatorError("empty command path")
    command = _lookup(state, channel, user, words[0])
    node, chain = command, []
    for word in words[1:]:
        sub = next(
            (o for o in node.get("options", []) if o["name"] == word and o["type"] in (1, 2)), None
        )
        if sub is None:
            raise EmulatorError(
                f"/{path}: {word!r} is not a subcommand of {node['name']!r}; "
                f"it has {[o['name'] for o in node.get('options', []) if o['type'] in (1, 2)]}"
            )
        chain.append(sub)
        node = sub
    if any(o["type"] in (1, 2) for o in node.get("options", [])):
        raise EmulatorError(f"/{path} needs a subcommand: {[o['name'] for o in node['options']]}")
    resolved: JSON = {}
    nested = _options(state, channel, node, options, focused, resolved)
    for sub in reversed(chain):
        nested = [{"type": sub["type"], "name": sub["name"], "options": nested}]
    data: JSON = {"id": command["id"], "name": command["name"], "type": 1, "options": nested}
    if command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    if resolved:
        data["resolved"] = resolved
    return data


def _lookup(state: EmulatorState, channel: Channel, user: User, name: str) -> JSON:
    guild = state.guilds.get(channel.guild_id) if channel.guild_id else None
    candidates = (state.guild_commands.get(guild.id, []) if guild else []) + state.global_commands
    command = next((c for c in candidates if c["type"] == 1 and c["name"] == name), None)
    if command is None:
        registered = sorted(c["name"] for c in candidates if c["type"] == 1)
        where = channel.name or "the DM"
        raise EmulatorError(f"/{name} is not registered where {where} is; registered: {registered}")
    contexts = command.get("contexts")
    if guild is None:
        if (contexts is not None and 1 not in contexts) or command.get("dm_permission") is False:
            raise EmulatorError(f"/{name} cannot be used in DMs")
        if channel.recipient is not user:
            raise EmulatorError(f"{user.name} cannot use the DM channel of {channel.recipient}")
        return command
    if contexts is not None and 0 not in contexts:
        raise EmulatorError(f"/{name} cannot be used in servers")
    if user.id not in guild.members:
        raise EmulatorError(f"{user.name} is not a member of {guild.name}")
    required = command.get("default_member_permissions")
    permissions = state.member_permissions(guild, user)
    if required is None or permissions & ADMINISTRATOR:
        return command
    if int(required) == 0 or permissions & int(required) != int(required):
        raise EmulatorError(f"{user.name} cannot see /{name}: it needs permissions {required}")
    return command


def _options(
    state: EmulatorState,
    channel: Channel,
    node: JSON,
    given: dict[str, OptionValue],
    focused: str | None,
    resolved: JSON,
) -> list[JSON]:
    definitions = {o["name"]: o for o in node.get("options", [])}
    unknown = sorted(set(given) - set(definitions))
    if unknown:
        raise EmulatorError(
            f"/{node['name']} has no option(s) {unknown}; it has {sorted(definitions)}"
        )
    if focused is None:
        missing = [n for n, o in definitions.items() if o.get("required") and n not in given]
        if missing:
            raise EmulatorError(f"/{node['name']} is missing required option(s) {missing}")
    elif focused not in given or not definitions[focused].get("autocomplete"):
        raise EmulatorError(
            f"option {focused!r} of /{node['name']} must be given and have autocomplete"
        )
    result = []
    for name, value in given.items():
        option = definitions[name]
        if name == focused:
            result.append(
                {"type": option["type"], "name": name, "value": str(value), "focused": True}
            )
        else:
            result.append(
                {
                    "type": option["type"],
                    "name": name,
                    "value": _convert(state, channel, option, value, resolved),
                }
            )
    return result


def _convert(
    state: EmulatorState, channel: Channel, option: JSON, value: OptionValue, resolved: JSON
) -> Any:
    kind, name = option["type"], option["name"]
    types: dict[int, type | tuple[type, ...]] = {
        3: str,
        4: int,
        5: bool,
        10: (int, float),
        6: User,
        7: Channel,
    }
    expected = types.get(kind)
    if expected is None:
        raise EmulatorError(f"option {name!r}: type {kind} is not supported by the emulator")
    if not isinstance(value, expected) or (kind in (4, 10) and isinstance(value, bool)):
        raise EmulatorError(f"option {name!r} (type {kind}) cannot take {value!r}")
    if isinstance(value, User):
        resolved.setdefault("users", {})[str(value.id)] = value.payload()
        guild = state.guilds.get(channel.guild_id) if channel.guild_id else None
        if guild is not None and value.id in guild.members:
            member = state.member_payload(guild, value)
            del member["user"]
            resolved.setdefault("members", {})[str(value.id)] = member
        return str(value.id)
    if isinstance(value, Channel):
        data = {**state.channel_payload(value), "permissions": str(state.bot_permissions(value))}
        resolved.setdefault("channels", {})[str(value.id)] = data
        return str(value.id)
    choices = option.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise EmulatorError(
            f"option {name!r} must be one of {[c['value'] for c in choices]}, not {value!r}"
        )
    size = len(value) if isinstance(value, str) else value
    low = option.get("min_length" if kind == 3 else "min_value")
    high = option.get("max_length" if kind == 3 else "max_value")
    if kind != 5 and ((low is not None and size < low) or (high is not None and size > high)):
        raise EmulatorError(f"option {name!r}: {value!r} is outside {low}..{high}")
    return value


# ---------------------------------------------------------------- components and modals


def component_data(message: Message, user: User, custom_id: str, values: list[str] | None) -> JSON:
    """What clicking a button (values None) or choosing in a string select sends.

    Refuses what a real client cannot do: hidden, missing, disabled or link components.
    """
    if message.deleted:
        raise EmulatorError(f"message {message.id} was deleted")
    if message.ephemeral and message.visible_to != user.id:
        raise EmulatorError(f"{user.name} cannot see ephemeral message {message.id}")
    component = message.find_component(custom_id)
    if component is None:
        raise EmulatorError(
            f"message {message.id} has no component {custom_id!r}; it has {message.custom_ids()}"
        )
    if component.get("disabled"):
        raise EmulatorError(f"component {custom_id!r} is disabled")
    kind = component["type"]
    if values is None:
        if kind != 2 or component.get("style") in (5, 6):
            raise EmulatorError(f"component {custom_id!r} is not a clickable button")
        return {"custom_id": custom_id, "component_type": 2}
    if kind != 3:
        raise EmulatorError(
            f"component {custom_id!r} is not a string select (others are not supported)"
        )
    allowed = [o["value"] for o in component.get("options", [])]
    if any(v not in allowed for v in values):
        raise EmulatorError(f"select {custom_id!r} offers {allowed}, not {values}")
    if not component.get("min_values", 1) <= len(values) <= component.get("max_values", 1):
        raise EmulatorError(
            f"select {custom_id!r} takes {component.get('min_values', 1)}.."
            f"{component.get('max_values', 1)} values, not {len(values)}"
        )
    return {"custom_id": custom_id, "component_type": 3, "values": values}


def modal_submit_data(modal: JSON, values: dict[str, str | list[str]]) -> JSON:
    fields = {c["custom_id"] for c in walk_components(modal["components"]) if "custom_id" in c}
    unknown = sorted(set(values) - fields)
    if unknown:
        raise EmulatorError(
            f"modal {modal['custom_id']!r} has no field(s) {unknown}; it has {sorted(fields)}"
        )
    components: list[JSON] = []
    for top in modal["components"]:
        if top["type"] == 1:
            components.append(
                {"type": 1, "components": [_submitted(c, values) for c in top["components"]]}
            )
        elif top["type"] == 18:
            components.append({"type": 18, "component": _submitted(top["component"], values)})
    return {"custom_id": modal["custom_id"], "components": components}


def _submitted(component: JSON, values: dict[str, str | list[str]]) -> JSON:
    custom_id, kind = component["custom_id"], component["type"]
    if kind == 4:
        value = values.get(custom_id, "")
        if not isinstance(value, str):
            raise EmulatorError(f"text input {custom_id!r} takes a string")
        if component.get("required", True) and not value:
            raise EmulatorError(f"text input {custom_id!r} is required")
        if value and not component.get("min_length", 0) <= len(value) <= component.get(
            "max_length", 4000
        ):
            raise EmulatorError(
                f"text input {custom_id!r}: length {len(value)} is outside its limits"
            )
        return {"type": 4, "custom_id": custom_id, "value": value}
    if kind in SELECT_TYPES:
        chosen = values.get(custom_id, [])
        return {"type": kind, "custom_id": custom_id, "values": list(chosen)}
    raise EmulatorError(f"modal component type {kind} is not supported by the emulator")


# ---------------------------------------------------------------- the INTERACTION_CREATE payload


def interaction_payload(state: EmulatorState, record: InteractionRecord) -> JSON:
    channel = record.channel
    guild = state.guilds.get(channel.guild_id) if channel.guild_id else None
    user_permissions = (
        state.member_permissions(guild, record.user) if guild else state.bot_permissions(channel)
    )
    payload: JSON = {
        "id": str(record.id),
        "application_id": str(state.application_id),
        "type": record.type,
        "data": record.data,
        "token": record.token,
        "version": 1,
        "channel_id": str(channel.id),
        "channel": {**state.channel_payload(channel), "permissions": str(user_permissions)},
        "app_permissions": str(state.bot_permissions(channel)),
        "locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild.id) if guild else "0"},
        "context": 0 if guild else 1,
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }
    if guild is not None:
        payload.update(
            guild_id=str(guild.id),
            guild={"id": str(guild.id), "locale": "en-US", "features": []},
            guild_locale="en-US",
            member=state.member_payload(guild, record.user),
        )
    else:
        payload["user"] = record.user.payload()
    if record.source is not None:
        payload["message"] = state.message_payload(record.source)
    return payload
