"""Counted nouns in messages: "1 sentence", "2 sentences", "1 speech" (irregular plurals given)."""

from __future__ import annotations


def count(number: int, noun: str, plural: str | None = None) -> str:
    """`number` and `noun`, plural unless the number is exactly one ("0 episodes", "1 episode")."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
