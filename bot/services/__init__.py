"""The bot's logic: plain async functions over (session, content, now). No discord import."""
