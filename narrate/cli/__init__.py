"""Command line: the only code that reads argv, prints or exits (the studio is the other edge)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.console import Console

from ..errors import NarrateError, Terminated
from . import batch, cache, check, preview, studio, text, voices
from .narrate import cmd_narrate, main_parser

if TYPE_CHECKING:
    from ..audio.synth import SynthesizerFactory

Handler = Callable[[argparse.Namespace, Console], int]

# Every command's parser and handler, each defined beside the other in its module.
_MODULES = (text, voices, preview, batch, cache, studio, check)
PARSERS: dict[str, Callable[[], argparse.ArgumentParser]] = {
    k: v for m in _MODULES for k, v in m.PARSERS.items()
}
HANDLERS: dict[str, Handler] = {k: v for m in _MODULES for k, v in m.HANDLERS.items()}
COMMANDS = tuple(name for name in PARSERS if " " not in name)


def main(argv: Sequence[str] | None = None, *, synthesizer_factory: SynthesizerFactory | None = None) -> int:
    """Run one command; returns the exit code. synthesizer_factory builds the voice (default: Piper)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        if args_list and args_list[0] in COMMANDS:
            command = args_list.pop(0)
            if args_list and f"{command} {args_list[0]}" in PARSERS:  # narrate voices download ...
                command = f"{command} {args_list.pop(0)}"
            args = PARSERS[command]().parse_args(args_list)
            handler = HANDLERS[command]
        else:
            args = main_parser().parse_args(args_list)
            handler = cmd_narrate
        args.synthesizer_factory = synthesizer_factory or _piper_factory()
        return handler(args, err)
    except NarrateError as exc:
        err.print(f"narrate: error: {exc}", markup=False)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("narrate: interrupted; nothing was written at the output path", markup=False)
        return 130
    except Terminated:
        err.print("narrate: terminated; nothing was written at the output path", markup=False)
        return 143


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def _piper_factory() -> SynthesizerFactory:
    from ..audio.synth import piper_synthesizer

    return piper_synthesizer
