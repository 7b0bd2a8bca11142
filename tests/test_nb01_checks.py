"""Notebook 01's checks: the guard against passing the course's own helper, and Exercise 01.2b's rule (peak_present)."""
import numpy as np
import pytest

from freqlstm_helpers import check, predict_zero_mse, spectrum


def own_spectrum(x, fs):
    n = len(x)
    amp = 2.0 / n * np.abs(np.fft.rfft(x))
    amp[0] /= 2.0
    return np.fft.rfftfreq(n, d=1.0 / fs), amp


def test_passing_the_course_helper_itself_fails_with_a_sentence():
    assert check.is_course_helper(spectrum.amplitude_spectrum) and not check.is_course_helper(own_spectrum)
    for name, helper in (("amplitude_spectrum", spectrum.amplitude_spectrum), ("predict_zero_mse", predict_zero_mse),
                         ("peak_present", spectrum.detect_peaks)):
        r = getattr(check, name).result(helper)
        assert r.status == check.FAILED and "that is the course's own helper; write your own" in r.message, r
    with pytest.raises(check.CheckFailed):
        check.amplitude_spectrum(spectrum.amplitude_spectrum)


def test_a_wrapper_around_the_helper_fails_too_and_the_helper_is_put_back():
    r = check.amplitude_spectrum.result(lambda x, fs: spectrum.amplitude_spectrum(x, fs))
    assert r.status == check.FAILED and "calls freqlstm_helpers.spectrum.amplitude_spectrum" in r.message, r
    assert check.amplitude_spectrum.result(own_spectrum).passed
    freqs, amp = spectrum.amplitude_spectrum(np.ones(8), 8.0)  # the real helper again after the check
    assert amp[0] == pytest.approx(1.0)


def rule(S, fs, f, factor=10):
    freqs, amp = own_spectrum(S, fs)
    k = int(np.argmin(np.abs(freqs - f)))
    return bool(amp[k] >= factor * np.median(amp[1:]))


def test_spectrum_signal_has_the_spectrum_it_was_built_from():
    x, amp = check.spectrum_signal({30: 12.0}, 1000, seed=0)
    assert np.allclose(own_spectrum(x, 100.0)[1], amp, atol=1e-12)


def tallest(S, fs):
    freqs, amp = own_spectrum(S, fs)
    return round(float(freqs[np.argmax(amp[1:]) + 1]), 1)


def test_peak_present_check_passes_the_rule_and_names_each_mistake():
    assert check.peak_present.result(rule).passed
    wrong = {
        "near miss": lambda S, fs, f, factor=10: rule(S, fs, f, 0.9 * factor),
        "f = 6.98": lambda S, fs, f, factor=10: rule(S, fs, int(f * len(S) / fs) * fs / len(S), factor),
        "taller": lambda S, fs, f, factor=10: rule(S, fs, f, factor) and tallest(S, fs) == round(f, 1),
        "returned 12.0": lambda S, fs, f, factor=10: 12.0,
    }
    for words, fn in wrong.items():
        r = check.peak_present.result(fn)
        assert r.status == check.FAILED and words in r.message, (words, r)

    def mean_rule(S, fs, f, factor=10):
        freqs, amp = own_spectrum(S, fs)
        return bool(amp[int(np.argmin(np.abs(freqs - f)))] >= factor * np.mean(amp[1:]))
    assert check.peak_present.result(mean_rule).status == check.FAILED


def test_the_notebook_verdicts_agree_with_the_rule():
    from freqlstm_helpers import SignalConfig, build_dataset
    for s, want in ((1.0, False), (0.1, True)):
        ds = build_dataset(SignalConfig(phase_scale=s), split="train")
        assert [rule(ds.S, ds.config.fs, f) for f in ds.config.frequencies] == [want] * 4
        assert [p.present for p in spectrum.detect_peaks(ds.S, ds.config.fs, ds.config.frequencies)] == [want] * 4


def test_ratio_text_reads_as_words():
    assert spectrum.ratio_text(0.409) == "0.4×" and spectrum.ratio_text(196.9) == "197×"
    assert spectrum.ratio_text(3e16) == "> 10,000×"
    peaks = [spectrum.Peak(f, f, 0.0, r, r >= 10) for f, r in ((1.0, 5.2), (3.0, 12.0))]
    assert spectrum.describe_peaks(peaks) == "1 Hz 5.2×, 3 Hz 12.0× the median bin\npresent (≥ 10× the median): 3 Hz"
