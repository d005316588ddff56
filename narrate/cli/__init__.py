"""Command line: the only code that reads argv, prints or exits (the studio is the other edge)."""

from __future__ import annotations

import argparse
import difflib
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from ..errors import NarrateError, Terminated
from . import batch, cache, check, preview, project, studio, text, voices
from .common import apply_project
from .narrate import cmd_narrate, main_parser

if TYPE_CHECKING:
    from ..audio.synth import SynthesizerFactory

Handler = Callable[[argparse.Namespace, Console], int]

# Every command's parser and handler, each defined beside the other in its module.
_MODULES = (text, voices, preview, batch, cache, studio, check, project)
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
            args = _parse(PARSERS[command](), args_list)
            handler = HANDLERS[command]
        else:
            _no_mistyped_command(args_list)
            command, args, handler = "narrate", _parse(main_parser(), args_list), cmd_narrate
        apply_project(args, command)
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


def _parse(parser: argparse.ArgumentParser, args_list: list[str]) -> argparse.Namespace:
    """parse_args, with "did you mean" for a mistyped option (`--jbos` -> `--jobs`)."""
    args, unknown = parser.parse_known_args(args_list)
    if unknown:
        known = [s for action in parser._actions for s in action.option_strings]
        hints = []
        for word in unknown:
            close = difflib.get_close_matches(word.split("=")[0], known, n=1) if word.startswith("-") else []
            hints.append(f"{word} (did you mean {close[0]}?)" if close else word)
        parser.error(f"unrecognized arguments: {' '.join(hints)}")
    return args


def _no_mistyped_command(args_list: list[str]) -> None:
    """`narrate bach in/`: a word that is no file but nearly a command is a typo, said as one."""
    if not args_list or args_list[0].startswith("-") or Path(args_list[0]).exists():
        return
    word = args_list[0]
    if "." in word or "/" in word or "\\" in word:
        return
    close = difflib.get_close_matches(word, COMMANDS, n=1, cutoff=0.6)
    if close:
        main_parser().error(
            f"{word!r} is not a command or a file: did you mean `narrate {close[0]}`? "
            "(`narrate -h` lists the commands)"
        )


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def _piper_factory() -> SynthesizerFactory:
    from ..audio.synth import piper_synthesizer

    return piper_synthesizer
