"""The 12-week study plan: /plan, /progress, /reports, /resources and their reminders."""

from cogs.plan.cog import setup, teardown

__all__ = ["setup", "teardown"]
