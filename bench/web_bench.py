"""`narrate batch FEED_URL` against a loopback news site: a first run, then a re-run of the unchanged feed.

Run: .venv/bin/python bench/web_bench.py [--pages 8] [--delay 1.0]. The fake voice makes the episodes, so
the figures are the web part (robots.txt, feed, pages, politeness) plus planning and encoding; the table
counts the requests the site saw, those asked "only if changed", and those answered 304.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from web_site import Route, Site, Story, http_date, page, rss  # noqa: E402

from narrate import cli  # noqa: E402
from narrate.audio.synth import FakeSynthesizer  # noqa: E402


def story(number: int) -> Story:
    text = tuple(
        f"Paragraph {i} of story {number}: the council said on Tuesday that bills would rise four per cent "
        "in April, the third rise in as many years, and that households could apply for help."
        for i in range(6)
    )
    return Story(
        f"story-{number}", f"Story Number {number} Of The Day", "Rosalind Achterberg", "2026-12-01", text
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--delay", type=float, default=1.0, help="[web] delay, seconds between requests")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, Site() as site:
        profile = Path(folder) / "bench.toml"
        profile.write_text(
            f'[web]\ncontact = "https://civic.example/contact"\ndelay = {args.delay}\n', "utf-8"
        )
        items = []
        for n in range(args.pages):
            path = f"/news/story-{n}/"
            items.append((f"civic-{n}", site.url(path), f"Story {n}", http_date(2026, 12, 1)))
            site.routes[path] = Route(page(story(n)), etag=f'"s{n}"')
        site.routes["/feed/"] = Route(rss(items), content_type="application/rss+xml", etag='"feed"')
        site.routes["/robots.txt"] = Route(b"User-agent: *\nAllow: /\n", content_type="text/plain")
        fake = FakeSynthesizer(per_char=0.002, base=0.05)
        out = Path(folder) / "edition"
        command = ["batch", site.url("/feed/"), "-o", str(out), "--profile", str(profile), "-q"]
        command += ["--base-url", "https://cdn.example.com/edition/"]
        print(f"| run ({args.pages} pages, delay {args.delay:g} s) | wall | requests | conditional | 304 |")
        print("|---|---|---|---|---|")
        for run in ("first", "re-run, unchanged"):
            started = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):  # the batch's own summary
                code = cli.main(command, synthesizer_factory=fake.factory)
            wall = time.perf_counter() - started
            log, site.log = site.log, []
            conditional = sum(r.conditional for r in log)
            not_modified = sum(r.status == 304 for r in log)
            print(f"| {run} (exit {code}) | {wall:.1f} s | {len(log)} | {conditional} | {not_modified} |")


if __name__ == "__main__":
    main()
