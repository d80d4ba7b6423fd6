"""Daily question drops: /daily and the scheduled posts and reveals."""

from cogs.daily.cog import setup, teardown

__all__ = ["setup", "teardown"]
