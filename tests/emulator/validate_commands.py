"""Application command payloads, checked on sync as Discord does (code 50035)."""

from __future__ import annotations

import re
from typing import Any

from .models import JSON
from .validate import FormErrors, validate_choices

COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
MAX_GLOBAL_CHAT_COMMANDS = 100
MAX_CONTEXT_MENU_COMMANDS = 15
MAX_COMMAND_SIZE = 4000


def validate_commands(commands: Any, errors: FormErrors, *, is_global: bool) -> None:
    if not isinstance(commands, list):
        errors.add([], "BASE_TYPE_ARRAY", "Must be an array")
        return
    chat = [c for c in commands if c.get("type", 1) == 1]
    if is_global and len(chat) > MAX_GLOBAL_CHAT_COMMANDS:
        errors.add(
            [],
            "APPLICATION_COMMANDS_TOO_MANY",
            f"At most {MAX_GLOBAL_CHAT_COMMANDS} chat input commands",
        )
    for kind in (2, 3):
        if len([c for c in commands if c.get("type", 1) == kind]) > MAX_CONTEXT_MENU_COMMANDS:
            errors.add([], "APPLICATION_COMMANDS_TOO_MANY", "Too many context menu commands")
    names: set[tuple[int, str]] = set()
    for i, command in enumerate(commands):
        key = (command.get("type", 1), command.get("name", ""))
        if key in names:
            errors.add(
                [i, "name"],
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                f"Duplicate command name {key[1]!r}",
            )
        names.add(key)
        _command(command, errors, [i])


def _command(command: JSON, errors: FormErrors, path: list[str | int]) -> None:
    kind = command.get("type", 1)
    if kind == 1:
        _name_and_description(command, errors, path)
        _options(command.get("options") or [], errors, [*path, "options"], depth=0)
        if _size(command) > MAX_COMMAND_SIZE:
            errors.add(
                path,
                "APPLICATION_COMMAND_TOO_LARGE",
                f"Command exceeds maximum size ({MAX_COMMAND_SIZE})",
            )
    else:
        errors.length([*path, "name"], command.get("name"), 1, 32)
        if command.get("description"):
            errors.add(
                [*path, "description"],
                "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
                "Context menu commands cannot have a description",
            )


def _name_and_description(item: JSON, errors: FormErrors, path: list[str | int]) -> None:
    name = item.get("name")
    if not isinstance(name, str) or not COMMAND_NAME.match(name):
        errors.add(
            [*path, "name"],
            "APPLICATION_COMMAND_INVALID_NAME",
            f"Command name is invalid: {name!r}",
        )
    elif name != name.lower():
        errors.add(
            [*path, "name"],
            "APPLICATION_COMMAND_INVALID_NAME",
            f"Command name must be lowercase: {name!r}",
        )
    errors.length([*path, "description"], item.get("description"), 1, 100)


def _options(options: list[JSON], errors: FormErrors, path: list[str | int], depth: int) -> None:
    errors.length(path, options, 0, 25)
    kinds = [option.get("type") for option in options]
    nested = [k for k in kinds if k in (1, 2)]
    if nested and len(nested) != len(kinds):
        errors.add(
            path,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Subcommands and groups cannot be mixed with other options",
        )
    seen_optional = False
    names: set[str] = set()
    for i, option in enumerate(options):
        where: list[str | int] = [*path, i]
        _name_and_description(option, errors, where)
        if option.get("name") in names:
            errors.add(
                [*where, "name"],
                "APPLICATION_COMMAND_OPTIONS_DUPLICATE_NAME",
                "Duplicate option name",
            )
        names.add(option.get("name", ""))
        kind = option.get("type")
        if kind == 2:
            if depth != 0:
                errors.add(
                    [*where, "type"],
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "Subcommand groups can only be top-level options",
                )
            sub = option.get("options") or []
            if any(child.get("type") != 1 for child in sub):
                errors.add(
                    [*where, "options"],
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "A subcommand group holds only subcommands",
                )
            _options(sub, errors, [*where, "options"], depth + 1)
        elif kind == 1:
            if depth > 1:
                errors.add(
                    [*where, "type"],
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "Subcommands nest too deep",
                )
            sub = option.get("options") or []
            if any(child.get("type") in (1, 2) for child in sub):
                errors.add(
                    [*where, "options"],
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "A subcommand cannot hold subcommands or groups",
                )
            _options(sub, errors, [*where, "options"], depth + 1)
        else:
            if option.get("required"):
                if seen_optional:
                    errors.add(
                        [*where, "required"],
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
            else:
                seen_optional = True
            if option.get("choices") is not None:
                if option.get("autocomplete"):
                    errors.add(
                        [*where, "autocomplete"],
                        "APPLICATION_COMMAND_OPTIONS_AUTOCOMPLETE_INVALID",
                        "Autocomplete cannot be used with choices",
                    )
                validate_choices(option["choices"], errors, [*where, "choices"])


def _size(item: JSON) -> int:
    total = len(item.get("name", "")) + len(item.get("description", ""))
    for choice in item.get("choices") or []:
        total += len(str(choice.get("name", ""))) + len(str(choice.get("value", "")))
    return total + sum(_size(option) for option in item.get("options") or [])
