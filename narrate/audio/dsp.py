"""The few signal-processing kernels the loudness stage needs, in numpy alone.

scipy.signal would provide them, but importing it costs about a second on these machines, which is a
fifth of an edited article's whole re-run. These are exact (to float64 rounding) equivalents of
scipy.signal.sosfilt / lfilter for first- and second-order sections and of scipy.ndimage's
minimum_filter1d / maximum_filter1d / uniform_filter1d; tests/test_dsp.py compares them with scipy.
"""

from __future__ import annotations

import math

import numpy as np

# Within a block the scan divides by p**k; keeping |p|**-k below this bounds the rounding it amplifies.
_GROWTH = 1e3
# Below this pole radius a recursion is summed directly as a short FIR (its response dies within
# a few dozen samples) rather than scanned in blocks.
_FIR_RADIUS = 0.5


def one_pole(u: np.ndarray, p: complex | float, y0: complex | float = 0.0) -> np.ndarray:
    """y[n] = p * y[n-1] + u[n] with y[-1] = y0, for any |p| < 1, vectorised.

    The input is cut into blocks; each block's zero-state response is p**k * cumsum(u * p**-k), and the
    value carried from block to block obeys the same recursion with p**block, solved the same way.
    """
    u = np.asarray(u)
    dtype = np.result_type(u.dtype, np.asarray(p).dtype, np.asarray(y0).dtype, np.float64)
    n = u.size
    if n == 0:
        return np.zeros(0, dtype=dtype)
    r = abs(p)
    if r >= 1.0:
        raise ValueError(f"unstable pole {p!r}")
    if r < _FIR_RADIUS:
        # p**m is below float64 resolution after m terms: sum them directly
        m = n if r == 0 else min(n, math.ceil(math.log(1e-18) / math.log(r)))
        y = u.astype(dtype, copy=True)
        pk: complex | float = 1.0
        for k in range(1, m + 1):
            pk = pk * p
            if k < n:
                y[k:] += pk * u[: n - k]
        head = min(n, m + 1)
        y[:head] += np.asarray(p, dtype=dtype) ** np.arange(1, head + 1) * y0
        return y
    block = int(max(2, min(4096, math.floor(math.log(_GROWTH) / -math.log(r)))))
    nb = -(-n // block)
    if n == nb * block:
        z = u.astype(dtype, copy=True).reshape(nb, block)
    else:
        z = np.zeros((nb, block), dtype=dtype)
        z.ravel()[:n] = u
    idx = np.arange(block)
    base = np.asarray(p, dtype=dtype)
    z *= base**-idx
    np.cumsum(z, axis=1, out=z)
    # y[j, k] = p**k * (S[j, k] + p * c[j]) where c[j] is the value carried into block j
    ends = z[:, -1] * base ** (block - 1)
    carry = np.empty(nb, dtype=dtype)
    carry[0] = y0
    if nb > 1:
        carry[1:] = one_pole(ends[:-1], p**block, y0)
    z += (carry * base)[:, None]
    z *= base**idx
    return z.ravel()[:n]


class Biquad:
    """A streaming second-order section (b0, b1, b2, 1, a1, a2): like sosfilt one section at a time."""

    def __init__(self, section: np.ndarray) -> None:
        b0, b1, b2, a0, a1, a2 = (float(v) for v in section)
        if a0 != 1.0:
            b0, b1, b2, a1, a2 = b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0
        self._b = np.array([b0, b1, b2])
        disc = a1 * a1 - 4.0 * a2
        if disc >= -1e-12:
            # real poles (a repeated pole, as in a Q = 0.5 high-pass, included): two real one-pole stages
            root = math.sqrt(max(disc, 0.0))
            self._real: tuple[float, float] | None = ((-a1 + root) / 2.0, (-a1 - root) / 2.0)
            self._pole = 0j
            self._state: list[complex | float] = [0.0, 0.0]
        else:
            # a conjugate pair: 1 / ((1 - p z^-1)(1 - p* z^-1)) = 2 Re(A / (1 - p z^-1)), A = p / (p - p*)
            self._real = None
            self._pole = complex(-a1 / 2.0, math.sqrt(-disc) / 2.0)
            self._state = [0j]
        self._history = np.zeros(2)  # the last two inputs, for the numerator

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.size == 0:
            return x.copy()
        ext = np.concatenate([self._history, x])
        w = np.convolve(ext, self._b, mode="valid")  # b0 x[n] + b1 x[n-1] + b2 x[n-2]
        self._history = ext[-2:].copy()
        if self._real is not None:
            p1, p2 = self._real
            v = one_pole(w, p1, self._state[0])
            self._state[0] = float(v[-1].real)
            y = one_pole(v, p2, self._state[1])
            self._state[1] = float(y[-1].real)
            return y
        p = self._pole
        s = one_pole(w, p, self._state[0])
        self._state[0] = complex(s[-1])
        twice = 2.0 * p / (p - p.conjugate())
        return s.real * twice.real - s.imag * twice.imag


def _windows(x: np.ndarray, size: int, mode: str, cval: float) -> np.ndarray:
    """Every centred window of `size` (scipy.ndimage's origin-0 placement), padded per `mode`."""
    left = size // 2
    right = size - left - 1
    if mode == "constant":
        padded = np.concatenate([np.full(left, cval, x.dtype), x, np.full(right, cval, x.dtype)])
    elif mode == "nearest":
        padded = np.concatenate([np.full(left, x[0], x.dtype), x, np.full(right, x[-1], x.dtype)])
    else:
        raise ValueError(f"unsupported mode {mode!r}")
    return np.lib.stride_tricks.sliding_window_view(padded, size)


def minimum_filter1d(x: np.ndarray, size: int, mode: str = "constant", cval: float = 0.0) -> np.ndarray:
    x = np.asarray(x)
    return x.copy() if x.size == 0 or size <= 1 else _windows(x, size, mode, cval).min(axis=1)


def maximum_filter1d(x: np.ndarray, size: int, mode: str = "constant", cval: float = 0.0) -> np.ndarray:
    x = np.asarray(x)
    return x.copy() if x.size == 0 or size <= 1 else _windows(x, size, mode, cval).max(axis=1)


def uniform_filter1d(x: np.ndarray, size: int, mode: str = "constant", cval: float = 0.0) -> np.ndarray:
    """Moving average over a centred window (float64), as scipy.ndimage.uniform_filter1d."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0 or size <= 1:
        return x.copy()
    # each window summed directly: a running cumsum would drift on long inputs
    return _windows(x, size, mode, cval).sum(axis=1) / size


def lfilter_one_pole(x: np.ndarray, a: float) -> np.ndarray:
    """scipy.signal.lfilter([1 - a], [1, -a], x) from rest: an exponential smoother."""
    return one_pole((1.0 - a) * np.asarray(x, dtype=np.float64), a)
