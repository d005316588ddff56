"""Batch audio editions: a folder of articles into episodes, transcripts, chapters and a podcast feed."""

from .jobs import EpisodeJob, EpisodeOutcome, run_episode
from .plan import ARTICLE_SUFFIXES, ArticleFile, collect_inputs
from .run import (
    BatchInterrupted,
    BatchOptions,
    BatchReport,
    EpisodeProgress,
    EpisodeStatus,
    EpisodeSurvey,
    rebuild_feed,
    remove_episodes,
    run_batch,
    survey,
)
from .web import WebOptions

__all__ = [
    "ARTICLE_SUFFIXES",
    "ArticleFile",
    "BatchInterrupted",
    "BatchOptions",
    "BatchReport",
    "EpisodeJob",
    "EpisodeOutcome",
    "EpisodeProgress",
    "EpisodeStatus",
    "EpisodeSurvey",
    "WebOptions",
    "collect_inputs",
    "rebuild_feed",
    "remove_episodes",
    "run_batch",
    "run_episode",
    "survey",
]
