"""narrate.audio.dsp against scipy, which it stands in for at run time (scipy stays a test dependency)."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
import scipy.ndimage
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from narrate.audio import dsp
from narrate.audio.loudness import LoudnessMeter, _k_weighting_sos

RNG = np.random.default_rng(7)
NOISE = RNG.standard_normal(50_000)


@pytest.mark.parametrize("p", [0.0, 0.2, -0.3, 0.7, -0.95, 0.98923, 0.9995, 0.67 + 0.245j, -0.4 + 0.8j])
@pytest.mark.parametrize("n", [1, 2, 19, 20, 21, 4097, 50_000])
def test_one_pole_is_lfilter(p: complex, n: int) -> None:
    x = NOISE[:n]
    ref = scipy.signal.lfilter([1.0], [1.0, -p], x.astype(complex if isinstance(p, complex) else float),
                               zi=[0.25 * p])[0]
    got = dsp.one_pole(x, p, 0.25)
    assert got.shape == ref.shape
    assert np.abs(got - ref).max() <= 1e-11 * max(1.0, np.abs(ref).max())


def test_unstable_pole_is_refused() -> None:
    with pytest.raises(ValueError, match="unstable"):
        dsp.one_pole(NOISE[:10], 1.0)


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 24000, 44100, 48000])
def test_streamed_biquads_are_sosfilt(rate: int) -> None:
    # K-weighting holds both kinds of section: a complex pole pair (shelf) and a repeated real pole
    sos = _k_weighting_sos(rate)
    sections = [dsp.Biquad(s) for s in sos]
    pieces, start = [], 0
    for size in (1, 2, 3, 700, 8191, 1, 30_000, 50_000):
        chunk = NOISE[start : start + size]
        start += size
        for section in sections:
            chunk = section(chunk)
        pieces.append(chunk)
    ref = scipy.signal.sosfilt(sos, NOISE)
    assert np.abs(np.concatenate(pieces) - ref).max() <= 1e-10 * np.abs(ref).max()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=300),
    st.integers(1, 45),
    st.sampled_from(["constant", "nearest"]),
    st.sampled_from([0.0, 1.0]),
)
def test_window_filters_are_ndimage(values: list[float], size: int, mode: str, cval: float) -> None:
    x = np.array(values)
    assert np.array_equal(dsp.minimum_filter1d(x, size, mode, cval),
                          scipy.ndimage.minimum_filter1d(x, size, mode=mode, cval=cval))
    assert np.array_equal(dsp.maximum_filter1d(x, size, mode, cval),
                          scipy.ndimage.maximum_filter1d(x, size, mode=mode, cval=cval))
    ref = scipy.ndimage.uniform_filter1d(x, size, mode=mode, cval=cval)
    assert np.allclose(dsp.uniform_filter1d(x, size, mode, cval), ref, rtol=1e-12, atol=1e-9)


def test_smoother_is_lfilter() -> None:
    a = float(np.exp(-1 / 80))
    ref = scipy.signal.lfilter([1 - a], [1, -a], NOISE)
    assert np.abs(dsp.lfilter_one_pole(NOISE, a) - ref).max() <= 1e-12


def test_the_meter_reads_what_pyloudnorm_reads() -> None:
    band = scipy.signal.butter(4, [150, 4000], btype="bandpass", fs=22050, output="sos")
    gate = np.repeat(RNG.random(200) > 0.3, 2205)  # bursts and silences, 100 ms each
    speechy = scipy.signal.sosfilt(band, RNG.standard_normal(22050 * 20)) * gate
    meter = LoudnessMeter(22050)
    for i in range(0, speechy.size, 5000):
        meter.add(speechy[i : i + 5000])
    # pyloudnorm: BS.1770 written by others, with scipy's filters
    assert meter.integrated() == pytest.approx(pyloudnorm.Meter(22050).integrated_loudness(speechy), abs=0.1)


def test_running_narrate_does_not_import_scipy_signal() -> None:
    # the point of narrate.audio.dsp: an edit's re-run must not pay scipy.signal's second of import
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from narrate.audio.loudness import LoudnessMeter, dynamics_at\n"
        "from narrate.profile import LoudnessTarget\n"
        "m = LoudnessMeter(22050)\n"
        "x = np.sin(np.arange(22050 * 2) * 0.05).astype('float32') * 0.3\n"
        "m.add(dynamics_at(3.0, 22050, LoudnessTarget()).process(x))\n"
        "assert m.integrated() > -70\n"
        "print('scipy.signal' in sys.modules, 'scipy.ndimage' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
