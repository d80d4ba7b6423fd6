"""PMLE study bot: a Discord study tutor for the Google Cloud ML Engineer exam."""

__version__ = "0.1.0"
