"""The live quiz's scheduled side: post each question, reveal it when its timer runs out
(or when everyone who joined has answered), post the scoreboard, and pick up the quizzes
a previous run left running.

Every step is claimed in the database first (`bot.services.live_quiz`), so the interval
job, a woken timer, a completing click and a second process never do one step twice.
Posts and edits go through the app-wide limiter.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import datetime
from typing import Any

import discord

from bot.app import StudyBot
from bot.services import live_quiz
from bot.services.live_quiz import AfterRestart, LiveQuiz, LiveQuizItem, Scoreboard
from cogs.groupquiz import render
from cogs.groupquiz.views import question_view, scoreboard_view

log = logging.getLogger(__name__)
JOB = "groupquiz"
RESTARTED = "The bot restarted: this question's timer starts again."


class LiveJobs:
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        self.pending: list[AfterRestart] = []  # found at start-up, handled by the first tick
        self.tasks: set[asyncio.Task[Any]] = set()

    async def load(self) -> None:
        """At start-up: take over the quizzes a previous run left running."""
        self.pending = await self.bot.db.write(
            live_quiz.after_restart, self.bot.content, self.bot.now(), self.bot.owns_guild
        )

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run `work` beside the caller (a click that completed a question)."""
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("live quiz work failed", exc_info=task.exception())

    def wake(self, at: datetime) -> None:
        self.bot.scheduler.wake(JOB, at)

    async def tick(self, now: datetime) -> None:
        pending, self.pending = self.pending, []
        for found in pending:
            await self.pick_up(found, now)
        work = await self.bot.db.read(live_quiz.due, now, self.bot.owns_guild)
        for key in work.lapsed:  # posts whose poster died
            async with self.bot.boundary(JOB, key=key):
                await self.take_over(key, now)
        for quiz_id, position in work.reveals:
            await self.reveal(quiz_id, position, now)
        for quiz_id in work.advances:
            await self.advance(quiz_id, now)

    # -- steps -------------------------------------------------------------------------------
    async def advance(self, quiz_id: int, now: datetime) -> None:
        """Post the quiz's next question, or its scoreboard after the last."""
        step = await self.bot.db.write(live_quiz.claim_advance, self.bot.content, quiz_id, now)
        await self.post_step(step)

    async def take_over(self, key: str, now: datetime) -> None:
        """Post a question or scoreboard whose poster died, unless it reached Discord."""
        step = await self.bot.db.write(live_quiz.claim_lapsed, self.bot.content, key, now)
        await self.post_step(step)

    async def post_step(self, step: live_quiz.Next | live_quiz.Finished | None) -> None:
        if isinstance(step, live_quiz.Finished):
            await self.post_scoreboard(step.board, step.since)
        elif step is not None:
            await self.post_question(step.quiz, step.item, step.since)

    async def post_question(
        self, quiz: LiveQuiz, item: LiveQuizItem, since: datetime | None = None
    ) -> bool:
        """Post a claimed question (`since`: a retry, whose earlier attempt began then)."""
        shown = self.bot.now()
        ends = live_quiz.deadline(quiz, shown)
        content = self.bot.content
        sent = await self.bot.outbox.send(
            quiz.channel_id,
            key=live_quiz.question_key(quiz.id, item.position),
            since=since,
            embed=render.question(content, quiz, item, ends),
            view=question_view(content, item),
        )
        if sent.ok and sent.message is not None:
            await self.bot.db.write(
                live_quiz.posted, quiz.id, item.position, sent.message.id, shown
            )
            if since is not None:  # an earlier attempt's message shows an earlier deadline
                item.message_id = sent.message.id
                embed = render.question(content, quiz, item, ends, RESTARTED)
                await self.edit(quiz, item, embed=embed, view=question_view(content, item))
            self.wake(ends)
            return True
        log.warning("live quiz %s: question %s not posted: %s", quiz.id, item.position, sent.detail)
        board = await self.bot.db.write(
            live_quiz.end,
            self.bot.content,
            quiz.id,
            f"a question could not be posted ({sent.detail})",
            self.bot.now(),
        )
        await self.post_scoreboard(board)
        return False

    async def reveal(self, quiz_id: int, position: int, now: datetime) -> bool:
        stats = await self.bot.db.write(live_quiz.claim_reveal, quiz_id, position, now)
        if stats is None:
            return False
        await self.edit(
            stats.quiz,
            stats.item,
            embed=render.reveal(self.bot.content, stats),
            view=question_view(self.bot.content, stats.item, closed=True),
        )
        if stats.quiz.next_at is not None:
            self.wake(stats.quiz.next_at)
        return True

    async def post_scoreboard(self, board: Scoreboard, since: datetime | None = None) -> None:
        """Post a finished quiz's scoreboard (claimed when the quiz ended), once."""
        quiz_id = board.quiz.id
        sent = await self.bot.outbox.send(
            board.quiz.channel_id,
            key=live_quiz.end_key(quiz_id),
            since=since,
            embed=render.scoreboard(self.bot.content, board),
            view=scoreboard_view(self.bot.content, board),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        if not sent.ok:
            log.warning("live quiz %s: scoreboard not posted: %s", quiz_id, sent.detail)
        message_id = sent.message.id if sent.message else None
        error = None if sent.ok else sent.detail
        await self.bot.db.write(
            live_quiz.scoreboard_sent, quiz_id, self.bot.now(), message_id, error
        )

    async def edit(self, quiz: LiveQuiz, item: LiveQuizItem, **fields: Any) -> bool:
        if item.message_id is None:
            return False
        channel = self.bot.get_partial_messageable(quiz.channel_id, guild_id=quiz.guild_id)
        try:
            async with self.bot.limiter:
                await channel.get_partial_message(item.message_id).edit(**fields)
        except discord.HTTPException as exc:
            log.warning("live quiz %s: could not edit question %s: %s", quiz.id, item.position, exc)
            return False
        return True

    async def pick_up(self, found: AfterRestart, now: datetime) -> None:
        """Resume (fresh timer), repost, or end a quiz a previous run left running."""
        if found.ended is not None:
            log.info("live quiz %s ended after a restart (idle too long)", found.quiz_id)
            await self.post_scoreboard(found.ended)
            return
        quiz = await self.bot.db.read(live_quiz.get, found.quiz_id)
        if found.resumed is not None and found.resumed.deadline_at is not None:
            log.info("live quiz %s resumed at question %s", quiz.id, found.resumed.position)
            await self.edit(
                quiz,
                found.resumed,
                embed=render.question(
                    self.bot.content, quiz, found.resumed, found.resumed.deadline_at, RESTARTED
                ),
                view=question_view(self.bot.content, found.resumed),
            )
            self.wake(found.resumed.deadline_at)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
