"""Rewrite the golden scripts in tests/fixtures/script from the current code (never run by pytest).

Usage: `.venv/bin/python tests/update_goldens.py`, then read `git diff tests/fixtures/script`: every
change there is a change in what narrate reads aloud, and is committed only if it was meant.
"""

from __future__ import annotations

import json
import sys

from test_script_golden import GOLDEN, actual_script, goldens


def main() -> int:
    GOLDEN.mkdir(exist_ok=True)
    changed = 0
    for source, name, rules in goldens():
        path = GOLDEN / f"{name}.json"
        text = json.dumps(actual_script(source, rules), ensure_ascii=False, indent=2) + "\n"
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"rewrote {path}")
            changed += 1
    print(f"{changed} golden(s) changed: read `git diff {GOLDEN}` before committing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
