"""A recogniser process (`python -m narrate.verify.decoder LM DICT`): pieces on stdin, words on stdout."""

from __future__ import annotations

import json
import sys
from typing import BinaryIO

from .recognise import decode_piece, decoder_for


def serve(lm: str, words: str, source: BinaryIO, sink: BinaryIO) -> None:
    """Decode pieces (an 8-byte little-endian length, then int16 PCM) until the end of `source`; one JSON
    line of [word, first frame, last frame] lists per piece on `sink`."""
    decoder = decoder_for(lm, words)
    while len(head := source.read(8)) == 8:
        pcm = source.read(int.from_bytes(head, "little"))
        sink.write(json.dumps(decode_piece(decoder, pcm)).encode("utf-8") + b"\n")
        sink.flush()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2], sys.stdin.buffer, sys.stdout.buffer)
