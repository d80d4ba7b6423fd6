"""Practice: /quiz, /review and /exam."""

from __future__ import annotations

from bot import exam_ui
from bot.app import StudyBot
from cogs.practice import exam, quiz


async def setup(bot: StudyBot) -> None:
    bot.add_dynamic_items(*exam_ui.COMPONENTS)
    await bot.add_cog(quiz.QuizCog(bot))
    await bot.add_cog(exam.ExamCog(bot))


async def teardown(bot: StudyBot) -> None:
    bot.remove_dynamic_items(*exam_ui.COMPONENTS)
