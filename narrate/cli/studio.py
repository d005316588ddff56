"""`narrate studio`: start the producer's page on this machine."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from .._version import pip_install
from ..errors import Terminated

if TYPE_CHECKING:
    pass

from .common import article_options, cache_options, synthesis_options

_STUDIO_EPILOG = f"""examples:
  narrate studio                                 # the articles in this folder
  narrate studio examples/water-bills.md         # one article
  narrate studio today/ --lexicon names.toml --no-browser
  narrate studio --port 0                        # any free port

Prints the page's address (with its access token) and opens it in the browser. Saving a
pronunciation writes to the --lexicon file (default: lexicon.toml in the folder, created on
first save). Needs the studio extra: {pip_install("studio")}. Ctrl-C stops it."""


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--port takes a number such as 8765, not {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"--port must be between 0 and 65535, not {value}")
    return value


def studio_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="narrate studio",
        description="A local page to read the script, hear any paragraph, fix pronunciations and render.",
        epilog=_STUDIO_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[article_options(web=False), synthesis_options(jobs=False)],
    )
    p.add_argument("path", nargs="?", default=".", metavar="PATH",
                   help="an article or a folder of articles (default: this folder)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8765, help="port to listen on (default: 8765; 0: any free)")
    p.add_argument("--no-browser", action="store_true", help="print the address without opening a browser")
    p.add_argument("--output-dir", metavar="DIR", help="where episodes go (default: output/ in the folder)")
    return p


def cmd_studio(args: argparse.Namespace, err: Console) -> int:
    from ..studio.server import StudioServer, is_loopback, require_extra

    require_extra()  # before the voice loads: a missing extra is a one-line answer at once
    from ..studio.service import Studio, StudioOptions

    options = StudioOptions(
        path=Path(args.path),
        profile=Path(args.profile) if args.profile else None,
        lexicon=Path(args.lexicon) if args.lexicon else None,
        voice=args.voice,
        speed=args.speed,
        speaker=args.speaker,
        cache=cache_options(args),
        output_dir=Path(args.output_dir) if args.output_dir else None,
    )
    studio = Studio(options, synthesizer_factory=args.synthesizer_factory)
    server = StudioServer(studio, args.host, args.port)
    if not is_loopback(args.host):
        err.print(
            f"narrate: warning: listening on {args.host}: other machines can reach the studio, and anyone "
            "with the address can read, hear and change this folder's articles and lexicon",
            markup=False,
        )
    err.print("narrate: loading the voice...", markup=False)
    studio.start()
    print(f"narrate studio: {server.url}", flush=True)
    err.print(f"narrate: serving {studio.root}; Ctrl-C stops", markup=False)
    if not args.no_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.run()
    except (KeyboardInterrupt, Terminated):  # the usual way to stop it, not a failure
        pass
    finally:
        studio.close()
    err.print("narrate: studio stopped", markup=False)
    return 0


PARSERS = {"studio": studio_parser}
HANDLERS = {"studio": cmd_studio}
