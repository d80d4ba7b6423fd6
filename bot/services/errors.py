"""Domain errors: each carries a message fit to show the member, and `clip` for quoting
the member's own input back in one (a reply must stay within Discord's limits)."""

ECHO_MAX = 80  # characters of member input quoted back in a message


def clip(text: str, limit: int = ECHO_MAX) -> str:
    """Member input as it may be quoted back: one line, at most `limit` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class ServiceError(Exception):
    """A request the service refuses; `str(exc)` is the user-facing reason."""


class NotFound(ServiceError):
    pass


class NotAllowed(ServiceError):
    pass


class InvalidInput(ServiceError):
    pass
