"""Practice: /quiz, /review and /exam, and the weekly fit of each member's FSRS parameters."""

from __future__ import annotations

from bot import exam_ui
from bot.app import StudyBot
from cogs.practice import exam, quiz, tuning


async def setup(bot: StudyBot) -> None:
    bot.add_dynamic_items(*exam_ui.COMPONENTS)
    await bot.add_cog(quiz.QuizCog(bot))
    await bot.add_cog(exam.ExamCog(bot))
    await bot.add_cog(tuning.ReviewTuningCog(bot))


async def teardown(bot: StudyBot) -> None:
    bot.remove_dynamic_items(*exam_ui.COMPONENTS)
