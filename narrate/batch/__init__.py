"""Batch audio editions: a folder of articles into episodes, transcripts, chapters and a podcast feed."""

from .jobs import EpisodeJob, EpisodeOutcome, run_episode
from .plan import ARTICLE_SUFFIXES, ArticleFile, collect_inputs
from .run import BatchInterrupted, BatchReport, EpisodeStatus, rebuild_feed, run_batch

__all__ = [
    "ARTICLE_SUFFIXES",
    "ArticleFile",
    "BatchInterrupted",
    "BatchReport",
    "EpisodeJob",
    "EpisodeOutcome",
    "EpisodeStatus",
    "collect_inputs",
    "rebuild_feed",
    "run_batch",
    "run_episode",
]
