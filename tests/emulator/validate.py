"""Discord's documented limits, checked the way Discord reports them (code 50035)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .models import IS_COMPONENTS_V2, JSON, SELECT_TYPES, walk_components

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_REQUEST_FILE_BYTES = 25 * 1024 * 1024


class FormErrors:
    """Discord's nested error tree: {"embeds": {"0": {"title": {"_errors": [...]}}}}."""

    def __init__(self) -> None:
        self.tree: JSON = {}

    def add(self, path: Sequence[str | int], code: str, message: str) -> None:
        node = self.tree
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def length(self, path: Sequence[str | int], value: Any, low: int, high: int) -> None:
        """Strings and lists must have low..high elements."""
        if value is None:
            if low > 0:
                self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
            return
        if not isinstance(value, (str, list)):
            self.add(
                path,
                "BASE_TYPE_BAD_TYPE",
                f"Must be a string or an array, got {type(value).__name__}",
            )
            return
        size = len(value)
        if size > high and low == 0:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {high} or fewer in length.")
        elif not low <= size <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def __bool__(self) -> bool:
        return bool(self.tree)


# ---------------------------------------------------------------- messages


def validate_message(payload: JSON, errors: FormErrors, path: Sequence[str | int] = ()) -> None:
    """Limits on the fields present in a message create or edit payload."""
    if payload.get("content") is not None:
        errors.length([*path, "content"], payload["content"], 0, 2000)
    embeds = payload.get("embeds") or []
    errors.length([*path, "embeds"], embeds, 0, 10)
    total = sum(_embed(embed, errors, [*path, "embeds", i]) for i, embed in enumerate(embeds))
    if total > 6000:
        errors.add(
            [*path, "embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"
        )
    flags = payload.get("flags") or 0
    components = payload.get("components")
    if components:
        _components(components, flags, errors, [*path, "components"])
    if flags & IS_COMPONENTS_V2 and (payload.get("content") or embeds):
        errors.add(
            [*path, "content"],
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'content' and 'embeds' fields cannot be used with IS_COMPONENTS_V2",
        )


def message_is_empty(payload: JSON, file_count: int) -> bool:
    keys = ("content", "embeds", "components", "poll", "sticker_ids", "attachments")
    return file_count == 0 and not any(payload.get(key) for key in keys)


def _embed(embed: JSON, errors: FormErrors, path: list[str | int]) -> int:
    """Validates one embed and returns the characters it counts towards 6000."""
    texts: list[str] = []

    def text(value: Any, where: list[str | int], high: int, low: int = 0) -> None:
        if value is None:
            if low:
                errors.length(where, None, low, high)
            return
        errors.length(where, str(value), low, high)
        texts.append(str(value))

    text(embed.get("title"), [*path, "title"], 256)
    text(embed.get("description"), [*path, "description"], 4096)
    text((embed.get("footer") or {}).get("text"), [*path, "footer", "text"], 2048)
    text((embed.get("author") or {}).get("name"), [*path, "author", "name"], 256)
    fields = embed.get("fields") or []
    errors.length([*path, "fields"], fields, 0, 25)
    for i, item in enumerate(fields):
        text(item.get("name"), [*path, "fields", i, "name"], 256, low=1)
        text(item.get("value"), [*path, "fields", i, "value"], 1024, low=1)
    return sum(len(t) for t in texts)


def _components(
    components: list[JSON], flags: int, errors: FormErrors, path: list[str | int]
) -> None:
    if flags & IS_COMPONENTS_V2:
        errors.length(path, list(walk_components(components)), 1, 40)
    else:
        errors.length(path, components, 0, 5)
        for i, row in enumerate(components):
            if row.get("type") != 1:
                errors.add(
                    [*path, i, "type"],
                    "COMPONENT_TYPE_INVALID",
                    "Top-level components must be action rows without IS_COMPONENTS_V2",
                )
    for i, component in enumerate(components):
        _component_tree(component, errors, [*path, i])
    seen: set[str] = set()
    for component in walk_components(components):
        custom_id = component.get("custom_id")
        if custom_id is None:
            continue
        if custom_id in seen:
            errors.add(
                path,
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                f"Component custom id cannot be duplicated: {custom_id}",
            )
        seen.add(custom_id)


def _component_tree(component: JSON, errors: FormErrors, path: list[str | int]) -> None:
    kind = component.get("type")
    if kind == 1:
        _action_row(component.get("components") or [], errors, [*path, "components"])
    elif kind == 2:
        _button(component, errors, path)
    elif kind in SELECT_TYPES:
        _select(component, errors, path)
    elif kind == 4:
        errors.add(
            [*path, "type"], "COMPONENT_TYPE_INVALID", "Text inputs are only valid in modals"
        )
    else:
        for i, child in enumerate(component.get("components") or []):
            _component_tree(child, errors, [*path, "components", i])
        if isinstance(component.get("accessory"), dict):
            _component_tree(component["accessory"], errors, [*path, "accessory"])


def _action_row(children: list[JSON], errors: FormErrors, path: list[str | int]) -> None:
    errors.length(path, children, 1, 5)
    selects = [c for c in children if c.get("type") in SELECT_TYPES]
    if selects and len(children) > 1:
        errors.add(
            path, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "A select must be alone in its action row"
        )
    for i, child in enumerate(children):
        if child.get("type") not in SELECT_TYPES | {2}:
            errors.add(
                [*path, i, "type"],
                "COMPONENT_TYPE_INVALID",
                "Action rows hold buttons or one select",
            )
        else:
            _component_tree(child, errors, [*path, i])


def _button(button: JSON, errors: FormErrors, path: list[str | int]) -> None:
    style = button.get("style")
    if style not in range(1, 7):
        errors.add(
            [*path, "style"],
            "BASE_TYPE_CHOICES",
            f"Value must be one of (1, 2, 3, 4, 5, 6), got {style}",
        )
    if button.get("label") is not None:
        errors.length([*path, "label"], button["label"], 0, 80)
    if style == 5:
        if not button.get("url"):
            errors.add(
                [*path, "url"], "BUTTON_COMPONENT_URL_REQUIRED", "A link button requires a url"
            )
        if "custom_id" in button:
            errors.add(
                [*path, "custom_id"],
                "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
                "A link button cannot have a custom_id",
            )
    elif style == 6:
        if not button.get("sku_id"):
            errors.add([*path, "sku_id"], "BASE_TYPE_REQUIRED", "This field is required")
    else:
        errors.length([*path, "custom_id"], button.get("custom_id"), 1, 100)
        if "url" in button:
            errors.add(
                [*path, "url"], "BUTTON_COMPONENT_URL_NOT_ALLOWED", "Only link buttons have a url"
            )
    if style != 6 and not button.get("label") and not button.get("emoji"):
        errors.add(
            [*path, "label"],
            "BUTTON_COMPONENT_LABEL_REQUIRED",
            "A button needs a label or an emoji",
        )


def _select(select: JSON, errors: FormErrors, path: list[str | int]) -> None:
    errors.length([*path, "custom_id"], select.get("custom_id"), 1, 100)
    if select.get("placeholder") is not None:
        errors.length([*path, "placeholder"], select["placeholder"], 0, 150)
    options = select.get("options")
    if select.get("type") == 3:
        errors.length([*path, "options"], options, 1, 25)
        for i, option in enumerate(options or []):
            errors.length([*path, "options", i, "label"], option.get("label"), 1, 100)
            errors.length([*path, "options", i, "value"], option.get("value"), 1, 100)
            if option.get("description") is not None:
                errors.length([*path, "options", i, "description"], option["description"], 0, 100)
    low, high = select.get("min_values", 1), select.get("max_values", 1)
    ceiling = min(25, len(options)) if select.get("type") == 3 and options else 25
    if not 0 <= low <= 25:
        errors.add([*path, "min_values"], "NUMBER_TYPE_MAX", "min_values must be between 0 and 25")
    if not 1 <= high <= ceiling or low > high:
        errors.add(
            [*path, "max_values"],
            "SELECT_COMPONENT_MAX_VALUES_INVALID",
            f"max_values must be between max(1, min_values) and {ceiling}",
        )


# ---------------------------------------------------------------- modals and autocomplete


def validate_modal(data: JSON, errors: FormErrors) -> None:
    errors.length(["data", "title"], data.get("title"), 1, 45)
    errors.length(["data", "custom_id"], data.get("custom_id"), 1, 100)
    rows = data.get("components") or []
    errors.length(["data", "components"], rows, 1, 5)
    inputs = [c for c in walk_components(rows) if c.get("type") == 4]
    if len(inputs) > 5:
        errors.add(
            ["data", "components"], "BASE_TYPE_MAX_LENGTH", "A modal holds at most 5 text inputs"
        )
    for i, text_input in enumerate(inputs):
        where: list[str | int] = ["data", "components", i]
        errors.length([*where, "custom_id"], text_input.get("custom_id"), 1, 100)
        if text_input.get("label") is not None:
            errors.length([*where, "label"], text_input["label"], 1, 45)
        if text_input.get("placeholder") is not None:
            errors.length([*where, "placeholder"], text_input["placeholder"], 0, 100)
        if text_input.get("value") is not None:
            errors.length([*where, "value"], text_input["value"], 0, 4000)
        low, high = text_input.get("min_length", 0), text_input.get("max_length", 4000)
        if not 0 <= low <= 4000 or not 1 <= high <= 4000 or low > high:
            errors.add(
                where,
                "TEXT_INPUT_LENGTH_INVALID",
                "min_length/max_length must satisfy 0 <= min <= max <= 4000",
            )


def validate_choices(choices: Any, errors: FormErrors, path: list[str | int]) -> None:
    errors.length(path, choices, 0, 25)
    for i, choice in enumerate(choices or []):
        errors.length([*path, i, "name"], choice.get("name"), 1, 100)
        if isinstance(choice.get("value"), str):
            errors.length([*path, i, "value"], choice["value"], 1, 100)
