"""A strict local Discord emulator that the real discord.py client connects to over loopback."""

from .bots import start_bot, stop_bot
from .emulator import DiscordEmulator
from .interactions import EmulatorError, InteractionFailed, InteractionResult
from .models import (
    Attachment,
    Channel,
    Guild,
    Message,
    MissedDeadline,
    RequestRecord,
    UnknownRoute,
    User,
    Violation,
)
from .sends import SendHold

__all__ = [
    "Attachment",
    "Channel",
    "DiscordEmulator",
    "EmulatorError",
    "Guild",
    "InteractionFailed",
    "InteractionResult",
    "Message",
    "MissedDeadline",
    "RequestRecord",
    "SendHold",
    "UnknownRoute",
    "User",
    "Violation",
    "start_bot",
    "stop_bot",
]
