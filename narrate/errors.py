"""Exceptions raised by narrate; only the CLI turns them into messages and exit codes.

NarrateError                 base: a one-line message that says what to do
├── InputError               the article cannot be read or has nothing to narrate (exit 2)
│   └── FetchError           a web page or feed cannot be fetched: unreachable, refused, too large (exit 2)
├── ProfileError             a profile or lexicon has a wrong key or value (exit 2)
├── VoiceError               an unknown, missing or corrupt voice (exit 2)
├── SynthesisError           Piper failed on a sentence (exit 3)
│   └── ImplausibleClip      the voice's clip failed the plausibility gate (twice, or offered to the cache)
├── EncodeError              ffmpeg failed or is missing; carries ffmpeg's message (exit 3)
├── OutputError              the output cannot be written (exit 4)
├── MissingExtraError        an optional feature's packages are not installed (exit 2)
├── ClusterError             a Dask cluster cannot be used: unreachable, no workers, other versions (exit 2)
└── Cancelled                a job told to stop between sentences (a batch interrupted on a cluster)

Terminated (a BaseException, like KeyboardInterrupt): SIGTERM, raised so that cleanup runs (exit 143).
"""

from __future__ import annotations


class NarrateError(Exception):
    """Base class: the message is one line a user can act on."""

    exit_code = 1


class InputError(NarrateError):
    exit_code = 2


class FetchError(InputError):
    """A URL that cannot be fetched; `url` is the address asked for, `reason` the one-line why."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class ProfileError(NarrateError):
    exit_code = 2


class VoiceError(NarrateError):
    exit_code = 2


class SynthesisError(NarrateError):
    exit_code = 3


class ImplausibleClip(SynthesisError):
    """A clip failed the plausibility gate: the message says what was wrong and the likely cause."""


class EncodeError(NarrateError):
    exit_code = 3


class OutputError(NarrateError):
    exit_code = 4


class MissingExtraError(NarrateError):
    """The message names the extra to install, e.g. pip install 'narrate-news[check]'."""

    exit_code = 2


class ClusterError(NarrateError):
    exit_code = 2


class Cancelled(NarrateError):
    """Work stopped at a sentence boundary because its batch was interrupted; a re-run resumes it."""

    exit_code = 130


class Terminated(BaseException):
    """SIGTERM turned into an exception (by the CLI's handler), so temp files and encoders are cleaned up."""
