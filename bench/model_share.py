"""Print (seconds inside the ONNX model, CPU seconds of the whole run) for one in-process narrate run."""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path


def main() -> int:
    import onnxruntime

    from narrate.audio.cache import CacheOptions
    from narrate.audio.synth import piper_synthesizer
    from narrate.pipeline import NarrationOptions, narrate_article
    from narrate.profile import load_profile

    inside = [0.0]
    original = onnxruntime.InferenceSession.run

    def timed(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        # with one intra-op thread, this thread's CPU time is the model's whole CPU time
        start = time.thread_time()
        try:
            return original(self, *args, **kwargs)
        finally:
            inside[0] += time.thread_time() - start

    onnxruntime.InferenceSession.run = timed  # type: ignore[method-assign]
    synth = piper_synthesizer(load_profile().voice, threads=1)
    narrate_article(
        Path(sys.argv[1]),
        NarrationOptions(output=Path(sys.argv[2]), jobs=1, cache=CacheOptions(use=False)),
        synthesizer=synth,
    )
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    print(f"{inside[0]:.3f} {total:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
