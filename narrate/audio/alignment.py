"""Word timings from Piper: a voice patched to report samples per phoneme, phonemes mapped to words."""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ..atomic import writing
from ..errors import VoiceError
from ..models import WordTime
from ..text.phonemes import piper_phonemizer
from .voices import VoiceInfo

Patcher = Callable[[Path, Path], None]
"""Writes a copy of a voice model (first path) that also outputs samples per phoneme (second path);
raises AlignmentUnavailable when it cannot."""

Phonemize = Callable[[str], str]
"""A word (or a few) to the phonemes the voice would say for it alone, as one string."""

FOLDER = "aligned-voices"


class AlignmentUnavailable(Exception):
    """Word timings cannot be had for this voice; the message is a note for the user, not an error."""


def onnx_patcher(source: Path, target: Path) -> None:
    """piper-tts's own patch: mark the model's single `Ceil` tensor (samples per phoneme) as an output."""
    try:
        import onnx
        from piper.patch_voice_with_alignment import add_alignment_output
    except ImportError as exc:
        raise AlignmentUnavailable(
            "word timings need the onnx package (pip install onnx); transcripts keep sentence timings"
        ) from exc
    try:
        model = onnx.load(str(source))
        add_alignment_output(model)
    except Exception as exc:  # onnx raises protobuf decode and checker errors of its own besides ValueError
        raise AlignmentUnavailable(
            f"voice {source.name} cannot report word timings ({str(exc).splitlines()[0][:120]}); "
            "transcripts keep sentence timings"
        ) from exc
    with writing(target) as partial:
        onnx.save(model, str(partial))


def aligned_model(voice: VoiceInfo, folder: Path, patcher: Patcher = onnx_patcher) -> Path:
    """The voice patched for word timings, made once and kept in `folder` under the voice's content hash.

    Raises AlignmentUnavailable (a note, not an error) when the voice cannot be patched.
    """
    target = Path(folder) / FOLDER / f"{voice.content_hash}.onnx"
    if target.is_file():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AlignmentUnavailable(f"cannot keep the patched voice in {target.parent} ({exc})") from exc
    patcher(voice.model, target)
    if not target.is_file():
        raise AlignmentUnavailable(
            f"patching voice {voice.name} wrote nothing; transcripts keep sentence timings"
        )
    return target


def voice_phonemizer(voice: VoiceInfo) -> Phonemize:
    """Words to the phonemes the voice would say for them alone, without loading the voice's model:
    through Piper's own phonemiser (one espeak instance, used under Piper's lock)."""
    from piper import PiperVoice
    from piper.config import PiperConfig
    from piper.phonemize_espeak import ESPEAK_DATA_DIR

    try:
        config = PiperConfig.from_dict(json.loads(voice.config.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise VoiceError(
            f"voice {voice.name}'s config {voice.config} cannot be read ({exc}): replace it"
        ) from exc
    # Only the phonemiser is used: PiperVoice.phonemize reads the config, never the (absent) session.
    return piper_phonemizer(
        PiperVoice(session=cast(Any, None), config=config, espeak_data_dir=ESPEAK_DATA_DIR)
    )


@dataclass(frozen=True)
class PhonemeChunk:
    """One piece of audio Piper made: its phonemes and the samples each took (BOS and EOS included)."""

    phonemes: tuple[str, ...]
    samples: tuple[int, ...]  # len(phonemes) + 2: the leading BOS and trailing EOS

    @property
    def total(self) -> int:
        return sum(self.samples)

    @classmethod
    def from_piper(cls, chunk: object) -> PhonemeChunk | None:
        """From a piper AudioChunk made with include_alignments (None when Piper could not align it)."""
        alignments = getattr(chunk, "phoneme_alignments", None)
        phonemes = getattr(chunk, "phonemes", None)
        if not alignments or phonemes is None or len(alignments) != len(phonemes) + 2:
            return None
        return cls(tuple(phonemes), tuple(int(a.num_samples) for a in alignments))


_BLOCK = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
_PUNCT = set(".,;:!?…\"'“”‘’()[]-—– ")
_STRIP = ".,;:!?…\"'“”‘’()[]—–"


def spoken_words(spoken: str) -> list[tuple[str, str | None]]:
    """The words of a spoken sentence: (word, raw phonemes for a [[ ... ]] block, else None)."""
    out: list[tuple[str, str | None]] = []
    position = 0
    for block in _BLOCK.finditer(spoken):
        out.extend((w, None) for w in _plain_words(spoken[position : block.start()]))
        out.append((block.group(0), block.group(1).strip()))
        position = block.end()
    out.extend((w, None) for w in _plain_words(spoken[position:]))
    return out


def _plain_words(text: str) -> list[str]:
    return [w for w in text.split() if any(c.isalnum() for c in w)]


def _phoneme_key(phonemes: str) -> list[str]:
    """Phonemes compared without stress marks, spaces or punctuation (the stream and single words
    differ most in those)."""
    return [c for c in unicodedata.normalize("NFD", phonemes) if c not in _PUNCT and c not in "ˈˌ"]


def word_samples(
    spoken: str, chunks: Sequence[PhonemeChunk], gap: int, phonemize: Phonemize
) -> list[tuple[str, int, int]]:
    """(spoken word, first sample, end sample) for each word, in the clip made of `chunks` joined with
    `gap` samples of silence between them.

    espeak merges and reorders words ("for the" becomes one group), so each word is phonemised alone and
    the words' phonemes are aligned with the sentence's phoneme stream. A phoneme of the stream that
    matches none goes to a word of its own group (the stream's groups are cut at spaces and
    punctuation); a word that matches nothing takes its share of the time between its neighbours.
    """
    words = spoken_words(spoken)
    if not words:
        return []
    stream, ranges, groups, total = _stream(chunks, gap)
    expected: list[str] = []
    owner: list[int] = []
    for index, (word, raw) in enumerate(words):
        for c in _phoneme_key(raw if raw is not None else phonemize(word.strip(_STRIP))):
            expected.append(c)
            owner.append(index)
    heard_by: list[int | None] = [None] * len(stream)
    matcher = difflib.SequenceMatcher(None, expected, stream, autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            heard_by[block.b + k] = owner[block.a + k]
    _fill_groups(heard_by, groups)
    first: list[int | None] = [None] * len(words)
    last: list[int | None] = [None] * len(words)
    for position, w in enumerate(heard_by):
        if w is None:
            continue
        start, end = ranges[position]
        first[w] = start if first[w] is None else min(first[w], start)  # type: ignore[type-var]
        last[w] = end if last[w] is None else max(last[w], end)  # type: ignore[type-var]
    return _fill(words, first, last, total)


def _stream(
    chunks: Sequence[PhonemeChunk], gap: int
) -> tuple[list[str], list[tuple[int, int]], list[int], int]:
    """The sentence's phonemes (as compared), each one's sample range and group, and the clip's length."""
    stream: list[str] = []
    ranges: list[tuple[int, int]] = []
    groups: list[int] = []
    group = 0
    offset = 0
    for number, chunk in enumerate(chunks):
        if number:
            offset += gap
        position = offset + chunk.samples[0]  # BOS: the silence before the first phoneme
        stress: int | None = None
        for phoneme, count in zip(chunk.phonemes, chunk.samples[1:-1]):
            key = _phoneme_key(phoneme)
            if phoneme in "ˈˌ":
                stress = position if stress is None else stress  # the voice gives stress marks time too
            elif not key:
                group += 1  # a space or punctuation ends espeak's word group
                stress = None
            for c in key:
                stream.append(c)
                ranges.append((position if stress is None else stress, position + count))
                groups.append(group)
                stress = None
            position += count
        group += 1
        offset += chunk.total
    return stream, ranges, groups, offset


def _fill_groups(heard_by: list[int | None], groups: list[int]) -> None:
    """Unmatched phonemes join the word of the nearest matched phoneme in their group (before, then after)."""
    for position in range(len(heard_by)):
        if heard_by[position] is None and position and groups[position - 1] == groups[position]:
            heard_by[position] = heard_by[position - 1]
    for position in range(len(heard_by) - 2, -1, -1):
        if heard_by[position] is None and groups[position + 1] == groups[position]:
            heard_by[position] = heard_by[position + 1]


def _fill(
    words: list[tuple[str, str | None]], first: list[int | None], last: list[int | None], total: int
) -> list[tuple[str, int, int]]:
    """Words that matched no phoneme share the time between their matched neighbours; overlaps (a
    merged group shared out of order) are cut at the later word's start."""
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(words):
        start = first[i]
        if start is not None:
            end = last[i]
            assert end is not None
            out.append((words[i][0], start, max(start, end)))
            i += 1
            continue
        j = i
        while j < len(words) and first[j] is None:
            j += 1
        left = out[-1][2] if out else 0
        following = first[j] if j < len(words) else None
        right = max(left, following if following is not None else total)
        span = (right - left) / (j - i)
        for k in range(i, j):
            out.append((words[k][0], int(left + span * (k - i)), int(left + span * (k - i + 1))))
        i = j
    fixed: list[tuple[str, int, int]] = []
    for word, start, end in out:
        if fixed and start < fixed[-1][1]:
            start = fixed[-1][1]
        if fixed and fixed[-1][2] > start:
            fixed[-1] = (fixed[-1][0], fixed[-1][1], start)
        fixed.append((word, start, max(start, end)))
    return fixed


def _norm(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if c.isalnum())


def written_times(
    written: str, spoken: Sequence[tuple[str, int, int]] | Sequence[WordTime]
) -> tuple[WordTime, ...]:
    """The words as written (what the listener sees), each timed by the spoken words it became:
    "£4.2m" takes the time of "four point two million pounds"."""
    spoken = [(w.text, w.start, w.end) if isinstance(w, WordTime) else w for w in spoken]
    shown = written.split()
    if not shown or not spoken:
        return ()
    a = [_norm(w) for w in shown]
    b = [_norm(w) for w, _, _ in spoken]
    out: list[WordTime] = []
    cursor = spoken[0][1]
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2)):
                out.append(WordTime(shown[i], spoken[j][1], spoken[j][2]))
                cursor = spoken[j][2]
        elif tag == "replace":
            start, end = spoken[j1][1], spoken[j2 - 1][2]
            out.extend(_share(shown[i1:i2], start, end))
            cursor = end
        elif tag == "delete":  # written but not said (a symbol the speech rules dropped): no time of its own
            out.extend(WordTime(w, cursor, cursor) for w in shown[i1:i2])
        # "insert": said but not written (e.g. "By" before an author): the time stays with no word
    return tuple(out)


def _share(words: Sequence[str], start: int, end: int) -> list[WordTime]:
    """Written words sharing one stretch of speech, in proportion to their length."""
    weights = [max(1, len(_norm(w))) for w in words]
    total = sum(weights)
    out: list[WordTime] = []
    position = start
    for word, weight in zip(words, weights):
        step = round((end - start) * weight / total)
        out.append(WordTime(word, position, min(end, position + step)))
        position = min(end, position + step)
    if out:
        out[-1] = WordTime(out[-1].text, out[-1].start, end)
    return out
