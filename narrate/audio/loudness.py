"""Streaming BS.1770 loudness metering and per-clip gain, compression and true-peak limiting."""

from __future__ import annotations

import dataclasses
import math
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ..profile import LoudnessTarget
from .dsp import Biquad, lfilter_one_pole, maximum_filter1d, minimum_filter1d, uniform_filter1d

# numpy only: the filters come from .dsp rather than scipy, whose signal package alone takes about a
# second to import (a fifth of the re-run after an edit).

__all__ = [
    "Dynamics", "LoudnessMeter", "LoudnessTarget", "corrected", "dynamics_at", "metered", "plan_dynamics",
    "true_peak_dbtp",
]

_BLOCK_S = 0.4
_STEP = 0.25  # 75 % overlap, written the way pyloudnorm computes block bounds so hop edges coincide
_ABS_GATE = -70.0
_REL_GATE = -10.0
_PLAN_TOL_LU = 0.2  # well inside the +-1 LU spec (the final pass is metered); each pass re-reads everything
_MIN_FLUSH = 1 << 17  # add() calls are batched (6 s at 22 kHz): each flush costs a few dozen numpy calls

# 4x true-peak interpolator: a windowed sinc with cutoff at the original Nyquist. Phase 0 of such a
# filter is the identity, so only the three in-between phases need computing.
_OS = 4
_OS_HALF = 12  # taps per side of each polyphase branch
_OS_TAPS = 2 * _OS * _OS_HALF + 1
# scipy.signal.firwin(_OS_TAPS, 1 / _OS, window=("kaiser", 7.0)), written out: windowed sinc, unit DC gain
_OS_H = np.sinc((np.arange(_OS_TAPS) - (_OS_TAPS - 1) / 2) / _OS) * np.kaiser(_OS_TAPS, 7.0)
_OS_H = _OS_H / _OS_H.sum() * _OS
_OS_PHASES = np.stack([_OS_H[r::_OS][: 2 * _OS_HALF] for r in range(1, _OS)]).astype(np.float32)
# Upper bound on |interpolated| / max|neighbouring samples|, used to skip frames that cannot be hot.
_OS_L1 = float(np.abs(_OS_PHASES).sum(axis=1).max())


def _db(x: float) -> float:
    return 20.0 * math.log10(x) if x > 0 else float("-inf")


def _k_weighting_sos(rate: int) -> np.ndarray:
    # Same RBJ-cookbook designs and parameters as pyloudnorm's "K-weighting" so both agree closely.
    def shelf() -> tuple[np.ndarray, np.ndarray]:
        a_ = 10 ** (4.0 / 40.0)
        w0 = 2.0 * np.pi * 1500.0 / rate
        alpha = np.sin(w0) / (2.0 * (1 / np.sqrt(2)))
        c, s = np.cos(w0), 2 * np.sqrt(a_) * alpha
        b = [a_ * ((a_ + 1) + (a_ - 1) * c + s), -2 * a_ * ((a_ - 1) + (a_ + 1) * c),
             a_ * ((a_ + 1) + (a_ - 1) * c - s)]
        a = [(a_ + 1) - (a_ - 1) * c + s, 2 * ((a_ - 1) - (a_ + 1) * c), (a_ + 1) - (a_ - 1) * c - s]
        return np.array(b) / a[0], np.array(a) / a[0]

    def highpass() -> tuple[np.ndarray, np.ndarray]:
        w0 = 2.0 * np.pi * 38.0 / rate
        alpha = np.sin(w0) / (2.0 * 0.5)
        c = np.cos(w0)
        b = [(1 + c) / 2, -(1 + c), (1 + c) / 2]
        a = [1 + alpha, -2 * c, 1 - alpha]
        return np.array(b) / a[0], np.array(a) / a[0]

    return np.vstack([np.concatenate(shelf()), np.concatenate(highpass())])


def _k_weighting(rate: int) -> Callable[[np.ndarray], np.ndarray]:
    """A stateful K-weighting filter (numpy biquads from .dsp): call it on consecutive chunks of one signal.

    scipy.signal.sosfilt is faster per sample (0.2 s against 0.5 s of CPU for 400 s of programme), but
    importing it costs about a second of CPU and 66 MB of memory: more than a whole cold run spends here.
    """
    sections = [Biquad(section) for section in _k_weighting_sos(rate)]

    def numpy_filter(x: np.ndarray) -> np.ndarray:
        for section in sections:
            x = section(x)
        return x

    return numpy_filter


def _inter_sample(x: np.ndarray) -> np.ndarray:
    """The three 4x-oversampled values between x[n] and x[n+1], shape (3, len(x)); zeros assumed outside."""
    n = len(x)
    out = np.empty((_OS - 1, n), dtype=np.float32)
    for r in range(_OS - 1):
        out[r] = np.convolve(x, _OS_PHASES[r])[_OS_HALF - 1 : _OS_HALF - 1 + n]
    return out


def _sample_true_peaks(x: np.ndarray) -> np.ndarray:
    """Per sample n, the largest 4x-oversampled magnitude on the intervals either side of x[n]."""
    x = np.asarray(x, dtype=np.float32)
    between = np.abs(_inter_sample(x)).max(axis=0)  # interval [n, n+1]
    pk = np.maximum(np.abs(x), between)
    pk[1:] = np.maximum(pk[1:], between[:-1])
    return pk


def true_peak_dbtp(samples: np.ndarray, rate: int) -> float:
    """Peak of the 4x-oversampled signal in dBTP (signal taken as zero outside the array)."""
    del rate  # the interpolator is defined relative to the sample rate, so it is rate-independent
    x = np.asarray(samples, dtype=np.float32).ravel()
    if x.size == 0:
        return float("-inf")
    pad = np.zeros(_OS_HALF, dtype=np.float32)
    return _db(float(_sample_true_peaks(np.concatenate([pad, x, pad])).max()))


class LoudnessMeter:
    """Streaming ITU-R BS.1770-4 integrated loudness (mono) with a 4x true-peak tracker.

    Per 100 ms hop only one float32 is kept, so memory grows by 40 bytes per second of programme.
    """

    def __init__(self, rate: int, *, track_true_peak: bool = False) -> None:
        self.rate = int(rate)
        self._track = track_true_peak  # off by default: interpolation costs far more than metering
        self._filter = _k_weighting(self.rate)
        self._pending: list[np.ndarray] = []
        self._pending_n = 0
        self._pos = 0  # samples already filtered
        self._hop = 0  # index of the hop being filled
        self._hop_end = self._bound(1)
        self._partial = 0.0
        self._hops = array("f")  # one energy per 100 ms: 40 bytes a second of programme
        self._tp_tail = np.zeros(2 * _OS_HALF, dtype=np.float32)
        self._tp = 0.0

    def _bound(self, k: int) -> int:
        return int(_BLOCK_S * (k * _STEP) * self.rate)

    def add(self, samples: np.ndarray) -> None:
        x = np.asarray(samples, dtype=np.float64).ravel()
        if x.size == 0:
            return
        self._pending.append(x)
        self._pending_n += x.size
        if self._pending_n >= _MIN_FLUSH:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        x = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
        self._pending, self._pending_n = [], 0
        # In silence the filter state would decay into subnormal floats, which are several times slower
        # to compute with; a +-1e-15 Nyquist-rate dither (about -290 LUFS) keeps it normal without
        # moving any reading.
        y = self._filter(x + _dither(self._pos, x.size))
        self._accumulate(y * y)
        if self._track:
            self._track_peak(x.astype(np.float32))

    def _accumulate(self, y2: np.ndarray) -> None:
        start, end = self._pos, self._pos + y2.size
        cur = start
        while self._hop_end <= end:
            self._hops.append(self._partial + float(y2[cur - start : self._hop_end - start].sum()))
            self._partial = 0.0
            cur = self._hop_end
            self._hop += 1
            self._hop_end = self._bound(self._hop + 1)
        self._partial += float(y2[cur - start :].sum())
        self._pos = end

    def _track_peak(self, x: np.ndarray) -> None:
        # Keep 2*half samples of history so every interval is interpolated with full context exactly once.
        z = np.concatenate([self._tp_tail, x])
        self._tp = max(self._tp, float(_sample_true_peaks(z)[_OS_HALF : z.size - _OS_HALF].max()))
        self._tp_tail = z[-2 * _OS_HALF :]

    def true_peak_dbtp(self) -> float:
        """4x-oversampled peak of everything added so far, dBTP (needs ``track_true_peak=True``)."""
        if not self._track:
            raise RuntimeError("LoudnessMeter was created without track_true_peak=True")
        self._flush()
        z = np.concatenate([self._tp_tail, np.zeros(2 * _OS_HALF, dtype=np.float32)])
        tail = float(_sample_true_peaks(z)[_OS_HALF : z.size - _OS_HALF].max())
        return _db(max(self._tp, tail))

    def integrated(self) -> float:
        """Gated integrated loudness in LUFS; -inf for silence or less than one 400 ms block."""
        self._flush()
        n, rate = self._pos, self.rate
        if n < _BLOCK_S * rate:
            return float("-inf")
        # Block count and the zero-extended last block follow pyloudnorm so short tails agree too.
        n_blocks = int(np.round((n / rate - _BLOCK_S) / (_BLOCK_S * _STEP))) + 1
        # Gated in two streaming passes over chunks of blocks, so a book-length programme (a million
        # blocks) needs no per-block arrays: first the absolute gate, then the relative one.
        abs_gate = _mean_square(_ABS_GATE)
        count, total = 0, 0.0
        for z in self._block_mean_squares(n_blocks):
            loud = z >= abs_gate
            count += int(loud.sum())
            total += float(z.sum(where=loud))
        if count == 0:
            return float("-inf")
        rel_gate = _mean_square(_lufs(total / count) + _REL_GATE)
        count, total = 0, 0.0
        for z in self._block_mean_squares(n_blocks):
            keep = (z > rel_gate) & (z > abs_gate)
            count += int(keep.sum())
            total += float(z.sum(where=keep))
        if count == 0:
            return float("-inf")
        return _lufs(total / count)

    def _block_mean_squares(self, n_blocks: int, chunk: int = 1 << 15) -> Iterator[np.ndarray]:
        """Each 400 ms block's mean square (four hops), `chunk` blocks at a time; zeros past the end."""
        hops = np.frombuffer(self._hops, dtype=np.float32)
        for start in range(0, n_blocks, chunk):
            end = min(n_blocks, start + chunk)
            window = np.zeros(end - start + 3)  # the hops blocks start..end-1 span
            have = hops[start : end + 3]
            window[: have.size] = have
            if have.size < window.size and start + have.size == len(hops):
                window[have.size] = self._partial  # the hop still being filled counts too
            c = np.concatenate([[0.0], np.cumsum(window)])
            z = (c[4:] - c[:-4]) / (_BLOCK_S * self.rate)
            yield np.maximum(z, 0.0)  # cumsum differences can go a hair negative on silence


_DITHER = np.tile([1e-15, -1e-15], 1 << 17)


def _dither(start: int, n: int) -> np.ndarray:
    """+1e-15 on even sample positions, -1e-15 on odd ones, for samples start..start+n-1."""
    global _DITHER
    if n + 1 > _DITHER.size:
        _DITHER = np.tile([1e-15, -1e-15], n // 2 + 1)
    return _DITHER[start & 1 : (start & 1) + n]


def _lufs(mean_square: float) -> float:
    return -0.691 + 10.0 * math.log10(mean_square) if mean_square > 0 else float("-inf")


def _mean_square(lufs: float) -> float:
    """The block mean square that reads `lufs`: the gates compare these rather than logarithms."""
    return float(10.0 ** ((lufs + 0.691) / 10.0))


@dataclass(frozen=True)
class Dynamics:
    """Gain + gentle compressor + true-peak limiter applied to one clip at a time.

    Work is done per "island" of sound (runs of non-zero samples closer than the filters' reach),
    each padded with zeros, so clips separated by silence give bit-identical results whether they
    are processed together or one by one, and exact zeros stay exact zeros.
    """

    gain_db: float
    rate: int
    ceiling_dbtp: float = -1.5  # a little below the target's -1 to leave room for the MP3 encode and resample
    threshold_db: float = -14.0  # compressor threshold on the 20 ms RMS after gain, dBFS
    ratio: float = 2.0
    knee_db: float = 8.0

    # --- time constants (ms) -------------------------------------------------------------------
    _FRAME_MS = 1.0  # gain curves are computed per 1 ms frame and interpolated linearly
    _RMS_MS = 20.0
    _ATTACK_MS = 5.0
    _RELEASE_MS = 80.0
    _LIM_ATTACK_MS = 3.0
    _LIM_RELEASE_MS = 50.0

    def _frame(self) -> int:
        return max(1, round(self.rate * self._FRAME_MS / 1000.0))

    def _frames(self, ms: float) -> int:
        return max(1, round(ms / self._FRAME_MS))

    def _reach(self) -> int:
        """Samples beyond which a sound cannot influence the gain, rounded up to whole frames."""
        frames = (self._frames(self._RMS_MS) + 2 * self._frames(self._ATTACK_MS) + 2
                  + 2 * self._frames(self._LIM_ATTACK_MS) + 4)
        return (frames + 2) * self._frame() + 2 * _OS_HALF

    def process(self, clip: np.ndarray) -> np.ndarray:
        """Float32 copy of ``clip`` with gain, compression and limiting; 4x true peak <= the ceiling."""
        return self._apply(clip, limit=True)

    def compress(self, clip: np.ndarray) -> np.ndarray:
        """Gain and compression only: what planning measures (the limiter moves loudness by ~0.1 LU)."""
        return self._apply(clip, limit=False)

    def _apply(self, clip: np.ndarray, limit: bool) -> np.ndarray:
        x = np.asarray(clip, dtype=np.float32).ravel()
        out = np.zeros_like(x)
        nz = np.flatnonzero(x)
        if nz.size == 0:
            return out
        reach = self._reach()
        gaps = np.flatnonzero(np.diff(nz) > 2 * reach)
        starts = np.concatenate([[nz[0]], nz[gaps + 1]])
        ends = np.concatenate([nz[gaps], [nz[-1]]]) + 1
        for s, e in zip(starts, ends, strict=True):
            out[s:e] = self._process_island(x[s:e], reach) if limit else self._compress_island(x[s:e], reach)
        return out

    def _framed(self, x: np.ndarray, pad: int) -> tuple[np.ndarray, int, int]:
        """The island zero-padded by `pad` on both sides and up to whole frames: (buffer, frames, frame)."""
        f = self._frame()
        n_frames = -(-(x.size + 2 * pad) // f)
        buf = np.zeros(n_frames * f, dtype=np.float32)
        buf[pad : pad + x.size] = x
        return buf, n_frames, f

    def _compress_island(self, x: np.ndarray, pad: int) -> np.ndarray:
        buf, n_frames, f = self._framed(x, pad)
        a = 10.0 ** (self.gain_db / 20.0)
        comp = self._compressor_gain(buf.reshape(n_frames, f), a)
        y = buf * _interp_frames(comp * a, f).astype(np.float32)
        return y[pad : pad + x.size]

    def _process_island(self, x: np.ndarray, pad: int) -> np.ndarray:
        buf, n_frames, f = self._framed(x, pad)
        n = x.size
        a = 10.0 ** (self.gain_db / 20.0)
        fr = buf.reshape(n_frames, f)

        comp = self._compressor_gain(fr, a)
        comp_max = maximum_filter1d(comp, 3, mode="nearest")
        ceiling = 10.0 ** (self.ceiling_dbtp / 20.0)
        target = ceiling * 10.0 ** (-0.15 / 20.0)  # margin for the gain ramp's own overshoot
        tp = _frame_true_peaks(fr, f, lambda bound: a * bound * comp_max > target)
        for _ in range(4):
            lim = self._limiter_gain(a * tp * comp_max, target)
            y = buf * _interp_frames(comp * lim * a, f).astype(np.float32)
            peak = float(_frame_true_peaks(y.reshape(n_frames, f), f, lambda bound: bound > ceiling).max())
            if peak <= ceiling:
                break
            target *= ceiling / peak * 10.0 ** (-0.05 / 20.0)
        else:
            y *= np.float32(ceiling / peak * (1 - 1e-4))
        return y[pad : pad + n]

    def _compressor_gain(self, fr: np.ndarray, a: float) -> np.ndarray:
        ms = (fr.astype(np.float64) ** 2).mean(axis=1) * a * a
        ms = uniform_filter1d(ms, self._frames(self._RMS_MS), mode="constant")
        with np.errstate(divide="ignore"):
            level = 10.0 * np.log10(np.maximum(ms, 1e-20))
        over = level - self.threshold_db
        k = self.knee_db
        slope = 1.0 / self.ratio - 1.0
        knee = slope * (over + k / 2) ** 2 / (2 * k)
        gr = np.where(over <= -k / 2, 0.0, np.where(over >= k / 2, slope * over, knee))
        g = 10.0 ** (gr / 20.0)
        att = self._frames(self._ATTACK_MS)
        g = uniform_filter1d(minimum_filter1d(g, 2 * att + 1, mode="constant", cval=1.0), 2 * att + 1,
                             mode="constant", cval=1.0)
        return _slow_release(g, self._frames(self._RELEASE_MS))

    def _limiter_gain(self, peak: np.ndarray, ceiling: float) -> np.ndarray:
        with np.errstate(divide="ignore"):
            req = np.minimum(1.0, ceiling / np.maximum(peak, 1e-30))
        w = self._frames(self._LIM_ATTACK_MS)
        # min over +-(w+1) then mean over +-w: every frame within one of a hot frame ends at or below
        # that frame's requirement, and linear interpolation never leaves that range.
        g = minimum_filter1d(req, 2 * (w + 1) + 1, mode="constant", cval=1.0)
        g = uniform_filter1d(g, 2 * w + 1, mode="constant", cval=1.0)
        g = np.minimum(g, req)  # guards float rounding in the mean
        return _slow_release(g, self._frames(self._LIM_RELEASE_MS))


_MERGE_FRAMES = 64


def _frame_true_peaks(fr: np.ndarray, f: int, hot: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Per-frame 4x true peak where ``hot(upper_bound)`` says it matters, else the upper bound.

    Interpolating is the costly step, so it is done only on runs of frames whose cheap bound
    (sum of |taps| times the neighbourhood's sample peak) could reach the level of interest.
    """
    x = fr.ravel()
    reach = -(-_OS_HALF // f)
    bound = _OS_L1 * maximum_filter1d(np.abs(fr).max(axis=1), 2 * reach + 1, mode="constant")
    out = bound.astype(np.float64)
    idx = np.flatnonzero(hot(bound))
    if idx.size == 0:
        return out
    # Merge runs up to _MERGE_FRAMES apart: interpolating the gap costs less than the Python and call
    # overhead of separate convolutions (limiting a 6.7-minute programme: 1.9 s with runs 8 frames
    # apart, 1.3 s at 64). Frames in a merged gap get their exact peak instead of the bound.
    breaks = np.flatnonzero(np.diff(idx) > max(_MERGE_FRAMES, 2 * reach + 4))
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]]) + 1
    for a, b in zip(starts, ends, strict=True):
        lo, hi = a * f - _OS_HALF, b * f + _OS_HALF
        seg = x[max(lo, 0) : min(hi, x.size)]
        seg = np.concatenate([np.zeros(max(0, -lo), np.float32), seg,
                              np.zeros(max(0, hi - x.size), np.float32)])
        out[a:b] = _sample_true_peaks(seg)[_OS_HALF : _OS_HALF + (b - a) * f].reshape(-1, f).max(axis=1)
    return out


def _slow_release(g: np.ndarray, frames: int) -> np.ndarray:
    # Gain reduction follows attacks at once but decays along a one-pole curve; taking the minimum
    # keeps every guarantee the input gain already gives.
    a = math.exp(-1.0 / frames)
    red = lfilter_one_pole(1.0 - g, a)
    return np.minimum(g, 1.0 - red)


def _interp_frames(g: np.ndarray, f: int) -> np.ndarray:
    """Per-sample gain, linear between frame centres (constant beyond the outermost centres)."""
    if f == 1:
        return g
    n = g.size * f
    centres = (np.arange(g.size) + 0.5) * f - 0.5
    return np.interp(np.arange(n, dtype=np.float64), centres, g)


_Clips = Iterable[np.ndarray] | Callable[[], Iterable[np.ndarray]]


def _passes(clips: _Clips) -> Callable[[], Iterable[np.ndarray]]:
    if callable(clips):
        return clips
    if isinstance(clips, Iterator):
        # A one-shot iterator cannot be re-read, so it has to be kept; pass a factory to stream.
        kept = list(clips)
        return lambda: kept
    return lambda: clips


_PLAN_MIN_SECONDS = 1.0


def _long_enough(read: Callable[[], Iterable[np.ndarray]], rate: int) -> Callable[[], Iterable[np.ndarray]]:
    """A programme under a second is planned on itself repeated (BS.1770 gates whole 400 ms blocks)."""
    need = int(_PLAN_MIN_SECONDS * rate)
    head: list[np.ndarray] = []
    length = 0
    for block in read():
        head.append(block)
        length += block.size
        if length >= need:
            return read
    if length == 0:
        return read
    repeated = head * -(-need // length)
    return lambda: repeated


def _measure(clips: Iterable[np.ndarray], rate: int, dyn: Dynamics | None) -> float:
    meter = LoudnessMeter(rate)
    for clip in clips:
        meter.add(clip if dyn is None else dyn.compress(clip))
    return meter.integrated()


# The limiter shaves peaks only (median gain change 0.1 dB on speech), so planning on the compressor
# alone and aiming this much higher lands the fully processed programme on target; callers that
# meter the final pass (`metered`) correct the rare miss.
_LIMITER_LOSS_LU = 0.1


def dynamics_at(gain_db: float, rate: int, target: LoudnessTarget) -> Dynamics:
    """The processing chain for a target at a given gain: what plan_dynamics chooses among."""
    ceiling = min(-1.5, target.true_peak_dbtp - 0.5)
    threshold = target.integrated_lufs + 5.0
    return Dynamics(gain_db=gain_db, rate=rate, ceiling_dbtp=ceiling, threshold_db=threshold)


def plan_dynamics(
    clips: Iterable[np.ndarray] | Callable[[], Iterable[np.ndarray]],
    rate: int,
    target: LoudnessTarget,
) -> Dynamics:
    """Choose the gain so the processed programme measures target.integrated_lufs.

    The passes (2-4) run the cheap gain + compressor stage only; the limiter is applied once, by the
    caller's final pass.
    """
    read = _long_enough(_passes(clips), rate)

    def make(gain: float) -> Dynamics:
        return dynamics_at(gain, rate, target)

    aim = target.integrated_lufs + _LIMITER_LOSS_LU
    raw = _measure(read(), rate, None)
    if not math.isfinite(raw):
        return make(0.0)
    return make(_secant(lambda clips, dyn: _measure(clips, rate, dyn), read, make, aim, raw))


def _secant(
    measure: Callable[[Iterable[np.ndarray], Dynamics], float],
    read: Callable[[], Iterable[np.ndarray]],
    make: Callable[[float], Dynamics],
    aim: float,
    raw: float,
) -> float:
    # Processing only ever lowers loudness, so the raw-based gain is a lower bound; then secant steps.
    g0 = float(np.clip(aim - raw, -60.0, 60.0))
    l0 = measure(read(), make(g0))
    best = (abs(l0 - aim), g0)
    # Above threshold a 2:1 compressor passes half of any gain change and the rest passes all of it,
    # so loudness-vs-gain slopes of about 0.75 are typical; starting there usually saves a pass.
    g1 = g0 + (aim - l0) / 0.75
    for _ in range(3):
        if best[0] <= _PLAN_TOL_LU or not math.isfinite(l0):
            break
        l1 = measure(read(), make(g1))
        best = min(best, (abs(l1 - aim), g1))
        slope = (l1 - l0) / (g1 - g0) if g1 != g0 else 1.0
        slope = float(np.clip(slope, 0.2, 1.0))
        g0, l0 = g1, l1
        g1 = g1 + (aim - l1) / slope
    return best[1]


def corrected(dynamics: Dynamics, measured: float, target: LoudnessTarget) -> Dynamics | None:
    """A re-planned Dynamics when the final pass measured off target by more than its tolerance, else None."""
    if not math.isfinite(measured) or abs(measured - target.integrated_lufs) <= target.tolerance_lu:
        return None
    # about 0.75 LU per dB of gain through a 2:1 compressor (see plan_dynamics)
    gain = dynamics.gain_db + (target.integrated_lufs - measured) / 0.75
    return dataclasses.replace(dynamics, gain_db=gain)


def metered(blocks: Iterable[np.ndarray], meter: LoudnessMeter) -> Iterator[np.ndarray]:
    """Pass blocks through unchanged while measuring them: the final pass meters what it encodes."""
    for block in blocks:
        meter.add(block)
        yield block
