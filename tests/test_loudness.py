"""Tests for narrate.audio.loudness: streaming meter vs pyloudnorm, dynamics planning and processing."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
import scipy.signal

from narrate.audio.loudness import Dynamics, LoudnessMeter, plan_dynamics, true_peak_dbtp
from narrate.profile import LoudnessTarget

RATES = (22050, 44100, 48000)


def _pink(rng: np.random.Generator, n: int) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(spec.size)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0
    x = np.fft.irfft(spec, n)
    return (0.2 * x / np.abs(x).max()).astype(np.float32)


def _speechy(rng: np.random.Generator, rate: int, seconds: float) -> np.ndarray:
    """Band-limited noise with syllable-rate modulation and pauses."""
    n = int(rate * seconds)
    t = np.arange(n) / rate
    sos = scipy.signal.butter(4, [150, 4000], btype="bandpass", fs=rate, output="sos")
    noise = scipy.signal.sosfilt(sos, rng.standard_normal(n))
    syllables = np.abs(np.sin(2 * np.pi * 2.3 * t)) ** 1.5
    pauses = (np.sin(2 * np.pi * 0.31 * t) > -0.5).astype(float)
    return (0.3 * noise * syllables * pauses).astype(np.float32)


def _sine(rate: int, seconds: float) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.25 * np.sin(2 * np.pi * 997.0 * t)).astype(np.float32)


def _cut(x: np.ndarray, how: str, rng: np.random.Generator) -> list[np.ndarray]:
    if how == "one":
        return [x]
    if how == "single":
        return [x[i : i + 1] for i in range(x.size)]
    edges = np.cumsum(rng.integers(1, 9000, size=x.size // 500 + 2))
    return np.split(x, edges[edges < x.size])


def _reference(x: np.ndarray, rate: int) -> float:
    return float(pyloudnorm.Meter(rate).integrated_loudness(x.astype(np.float64)))


def _measure(blocks: list[np.ndarray], rate: int) -> float:
    m = LoudnessMeter(rate)
    for b in blocks:
        m.add(b)
    return m.integrated()


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("signal", ["pink", "speechy", "sine"])
@pytest.mark.parametrize("how", ["one", "random"])
def test_meter_matches_pyloudnorm(rate: int, signal: str, how: str) -> None:
    rng = np.random.default_rng(7)
    x = {"pink": lambda: _pink(rng, rate * 6), "speechy": lambda: _speechy(rng, rate, 9.3),
         "sine": lambda: _sine(rate, 3.37)}[signal]()
    assert abs(_measure(_cut(x, how, rng), rate) - _reference(x, rate)) < 0.05


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("seconds", [0.4, 0.43, 0.46, 0.71, 1.0])
def test_meter_single_sample_blocks_and_short_tails(rate: int, seconds: float) -> None:
    rng = np.random.default_rng(3)
    x = _speechy(rng, rate, seconds) + 0.01 * _pink(rng, int(rate * seconds))
    assert abs(_measure(_cut(x, "single", rng), rate) - _reference(x, rate)) < 0.05


def test_meter_silence_and_too_short() -> None:
    m = LoudnessMeter(22050)
    assert m.integrated() == float("-inf")
    m.add(np.zeros(22050 * 3, dtype=np.float32))
    assert m.integrated() == float("-inf")
    m2 = LoudnessMeter(22050)
    m2.add(np.full(100, 0.5, dtype=np.float32))
    assert m2.integrated() == float("-inf")


def test_meter_true_peak_matches_function() -> None:
    rng = np.random.default_rng(5)
    x = _pink(rng, 22050 * 2)
    m = LoudnessMeter(22050, track_true_peak=True)
    for b in _cut(x, "random", rng):
        m.add(b)
    assert m.true_peak_dbtp() == pytest.approx(true_peak_dbtp(x, 22050), abs=1e-4)


def test_true_peak_sees_inter_sample_overs() -> None:
    # A quarter-rate sine sampled at +-45 degrees: samples at 0.707, true peak 1.0.
    n = np.arange(4000)
    fade = np.ones(n.size)
    # Faded ends, so Gibbs ringing at the edges does not count as a peak.
    fade[:400] = fade[-400:][::-1] = np.sin(np.linspace(0, np.pi / 2, 400)) ** 2
    x = (np.sin(np.pi / 2 * n + np.pi / 4) * fade).astype(np.float32) * 0.5
    assert 20 * np.log10(np.abs(x).max()) == pytest.approx(-9.03, abs=0.01)
    assert true_peak_dbtp(x, 48000) == pytest.approx(-6.02, abs=0.1)


# --- dynamics --------------------------------------------------------------------------------------


def _programme(rate: int, lufs: float, peak_dbfs: float | None, seed: int = 11, seconds: float = 60.0
               ) -> list[np.ndarray]:
    """Speech-like 'sentences' (0.3-3 s) of modulated band-limited noise, plosive clicks and silences."""
    rng = np.random.default_rng(seed)
    sos = scipy.signal.butter(4, [120, 5000], btype="bandpass", fs=rate, output="sos")
    clips: list[np.ndarray] = []
    total = 0.0
    while total < seconds:
        dur = rng.uniform(0.3, 3.0)
        n = int(dur * rate)
        t = np.arange(n) / rate
        syl = np.clip(np.sin(2 * np.pi * rng.uniform(3, 6) * t + rng.uniform(0, 6)), 0, None) ** 1.2
        env = syl * np.sin(np.pi * t / dur) ** 0.3 * rng.uniform(0.5, 1.0)
        s = scipy.signal.sosfilt(sos, rng.standard_normal(n)) * env
        for _ in range(rng.integers(0, 3)):  # plosive-like bursts carry the peaks
            at = rng.integers(0, max(1, n - rate // 200))
            k = rate // 200
            s[at : at + k] += np.hanning(k)[: s[at : at + k].size] * np.sin(np.arange(k) * 0.9) * 4 * s.std()
        clips.append(s)
        clips.append(np.zeros(int(rng.uniform(0.2, 0.8) * rate)))
        total += dur
    whole = np.concatenate(clips)
    scale = 10 ** ((lufs - _reference(whole, rate)) / 20)
    clips = [c * scale for c in clips]
    if peak_dbfs is not None:
        # Stretch only the top 6 dB of the waveform so the peak lands where wanted, loudness barely moves.
        limit = 10 ** (peak_dbfs / 20)
        cur = max(float(np.abs(c).max()) for c in clips)
        knee = cur / 2
        m = (limit - knee) / (cur - knee)
        clips = [np.where(np.abs(c) > knee, np.sign(c) * (knee + (np.abs(c) - knee) * m), c) for c in clips]
    return [c.astype(np.float32) for c in clips]


def _process_all(dyn: Dynamics, clips: list[np.ndarray]) -> list[np.ndarray]:
    return [dyn.process(c) for c in clips]


def _check_programme(clips: list[np.ndarray], rate: int, target: LoudnessTarget) -> Dynamics:
    dyn = plan_dynamics(lambda: iter(clips), rate, target)
    out = _process_all(dyn, clips)
    whole = np.concatenate(out)
    assert abs(_reference(whole, rate) - target.integrated_lufs) <= 0.5
    assert true_peak_dbtp(whole, rate) <= dyn.ceiling_dbtp + 1e-6
    assert dyn.ceiling_dbtp <= -1.5
    assert 20 * np.log10(np.abs(scipy.signal.resample_poly(whole.astype(np.float64), 8, 1)).max()) <= -1.5
    assert np.abs(whole).max() < 1.0
    for c, o in zip(clips, out, strict=True):
        assert o.dtype == np.float32 and o.shape == c.shape
        assert np.all(o[c == 0] == 0)
    return dyn


@pytest.mark.parametrize("rate", RATES)
def test_speech_programme_reaches_target(rate: int) -> None:
    clips = _programme(rate, -26.0, -3.0, seconds=40.0 if rate == 22050 else 20.0)
    whole = np.concatenate(clips)
    assert _reference(whole, rate) == pytest.approx(-26.0, abs=0.3)
    assert 20 * np.log10(np.abs(whole).max()) == pytest.approx(-3.0, abs=0.3)
    _check_programme(clips, rate, LoudnessTarget())


@pytest.mark.parametrize("lufs", [-40.0, -10.0])
def test_quiet_and_loud_programmes_reach_target(lufs: float) -> None:
    clips = _programme(22050, lufs, None, seed=4, seconds=30.0)
    dyn = _check_programme(clips, 22050, LoudnessTarget())
    assert (dyn.gain_db > 0) == (lufs < -19)


@pytest.mark.parametrize("clips", [[], [np.zeros(0, dtype=np.float32)],
                                   [np.zeros(22050, dtype=np.float32), np.zeros(5, dtype=np.float32)]])
def test_silent_or_empty_programme(clips: list[np.ndarray]) -> None:
    dyn = plan_dynamics(lambda: iter(clips), 22050, LoudnessTarget())
    assert dyn.gain_db == 0.0
    for c in clips:
        out = dyn.process(c)
        assert out.shape == c.shape and not np.any(out)


def test_plan_accepts_plain_iterables() -> None:
    clips = _programme(22050, -26.0, -3.0, seconds=8.0)
    a = plan_dynamics(clips, 22050, LoudnessTarget())
    b = plan_dynamics(iter(clips), 22050, LoudnessTarget())
    c = plan_dynamics(lambda: (x for x in clips), 22050, LoudnessTarget())
    assert a == b == c


def test_processing_is_deterministic_and_clip_local() -> None:
    rate = 22050
    clips = _programme(rate, -24.0, -2.0, seed=9, seconds=12.0)
    dyn = Dynamics(gain_db=8.0, rate=rate)
    separate = np.concatenate(_process_all(dyn, clips))
    together = dyn.process(np.concatenate(clips))
    again = np.concatenate(_process_all(dyn, clips))
    assert np.array_equal(separate, again)
    assert np.array_equal(separate, together)


def test_limiter_holds_ceiling_on_extreme_gain() -> None:
    rate = 22050
    rng = np.random.default_rng(2)
    x = _speechy(rng, rate, 5.0)
    dyn = Dynamics(gain_db=30.0, rate=rate)
    y = dyn.process(x)
    assert y.dtype == np.float32
    assert true_peak_dbtp(y, rate) <= -1.5 + 1e-6
    assert np.abs(y).max() < 1.0


def test_process_handles_degenerate_clips() -> None:
    dyn = Dynamics(gain_db=6.0, rate=22050)
    assert dyn.process(np.zeros(0, dtype=np.float32)).shape == (0,)
    one = dyn.process(np.array([0.9], dtype=np.float32))
    assert one.shape == (1,) and true_peak_dbtp(one, 22050) <= -1.5 + 1e-6


def test_corrected_replans_only_a_real_miss() -> None:
    from narrate.audio.loudness import Dynamics, corrected

    dyn = Dynamics(gain_db=6.0, rate=22050)
    target = LoudnessTarget()
    assert corrected(dyn, -19.2, target) is None
    assert corrected(dyn, float("-inf"), target) is None
    again = corrected(dyn, -20.5, target)
    assert again is not None and again.gain_db == pytest.approx(6.0 + 1.5 / 0.75)


def test_metered_passes_blocks_through_and_measures_them() -> None:
    from narrate.audio.loudness import LoudnessMeter, metered

    rng = np.random.default_rng(3)
    blocks = [rng.normal(0, 0.05, 5000).astype(np.float32) for _ in range(20)]
    meter = LoudnessMeter(22050)
    out = list(metered(iter(blocks), meter))
    assert all(a is b for a, b in zip(out, blocks))
    whole = LoudnessMeter(22050)
    whole.add(np.concatenate(blocks))
    assert meter.integrated() == pytest.approx(whole.integrated(), abs=1e-9)
