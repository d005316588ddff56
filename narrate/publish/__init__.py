"""Publish layer: transcripts and chapter files, the podcast feed and the batch manifest."""
