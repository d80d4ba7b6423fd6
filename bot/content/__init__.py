"""The content store: questions, blueprint, study plan and resources from content/."""

from bot.content.models import LETTERS, Blueprint, Domain, PlanWeek, Question, StudyPlan
from bot.content.store import ContentError, ContentStore, Problem, load_content

__all__ = [
    "LETTERS",
    "Blueprint",
    "ContentError",
    "ContentStore",
    "Domain",
    "PlanWeek",
    "Problem",
    "Question",
    "StudyPlan",
    "load_content",
]
