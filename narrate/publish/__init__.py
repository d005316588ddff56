"""Publish layer: transcripts and chapter files, the podcast feed, the batch manifest and executors."""
