"""Calibration of early-warning probabilities, on outcomes drawn from known probabilities.

An overconfident model is simulated exactly: true probabilities q, outcomes y ~ Bernoulli(q),
and raw predictions that push q away from ½ (logit × 2) — what issue 23 measured (model says
0.9, it happens about 0.6 of the time). Recalibration fitted on one half must make the other
half honest.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rating.analysis import calibration as cal
from rating.errors import UsageError
from tests.factories import examples


def _overconfident(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    q = rng.beta(1.2, 3.0, n)
    y = (rng.random(n) < q).astype(int)
    raw = 1 / (1 + np.exp(-2 * np.log(q / (1 - q))))
    return raw, y


@pytest.mark.parametrize("method", ["temperature", "platt", "isotonic"])
def test_recalibration_fitted_on_one_half_makes_the_other_half_honest(method: str) -> None:
    raw, y = _overconfident(20_000, seed=1)
    fitted = cal.fit(method, raw[:10_000], y[:10_000])
    assert fitted.method == method and fitted.rows == 10_000
    held_raw, held_y = raw[10_000:], y[10_000:]
    before, after = cal.ece(held_y, held_raw), cal.ece(held_y, fitted.apply(held_raw))
    assert before > 0.05 and after < 0.02, (before, after)
    slope_before = cal.slope_intercept(held_y, held_raw)[0]
    slope_after = cal.slope_intercept(held_y, np.clip(fitted.apply(held_raw), 1e-6, 1 - 1e-6))[0]
    assert slope_before is not None and slope_before < 0.6  # overconfident: about ½
    assert slope_after is not None and abs(slope_after - 1) < 0.1
    z_before = cal.spiegelhalter_z(held_y, held_raw)
    assert z_before is not None and abs(z_before) > 1.96


def test_platt_on_an_overconfident_model_halves_its_slope() -> None:
    raw, y = _overconfident(20_000, seed=2)
    fitted = cal.fit("platt", raw, y)
    assert fitted.params["b"] == pytest.approx(0.5, abs=0.05)  # logit q = ½ logit raw
    assert fitted.params["a"] == pytest.approx(0.0, abs=0.1)


def test_temperature_finds_the_overconfidence_factor() -> None:
    raw, y = _overconfident(20_000, seed=5)
    assert cal.fit("temperature", raw, y).params["b"] == pytest.approx(0.5, abs=0.05)


def test_too_few_outcomes_are_not_recalibrated_and_say_so() -> None:
    raw, y = _overconfident(40, seed=3)
    fitted = cal.fit("isotonic", raw, y, ("2026Q1",))
    assert fitted.method == "none" and fitted.rows == 40 and fitted.fitted_on == ("2026Q1",)
    assert np.array_equal(fitted.apply(raw), raw)
    with pytest.raises(UsageError) as err:
        cal.fit("magic", raw, y)
    assert err.value.code == "WARNING_BAD_CALIBRATION"


def test_reliability_uses_equal_width_bins_over_the_whole_range() -> None:
    p = np.array([0.01, 0.02, 0.55, 0.97, 1.0])
    y = np.array([0, 0, 1, 1, 1])
    bins = cal.reliability(y, p)
    assert [(b.low, b.high) for b in bins][0] == (0.0, 0.1) and bins[-1].high == 1.0
    assert [b.n for b in bins] == [2, 0, 0, 0, 0, 1, 0, 0, 0, 2]
    assert bins[1].predicted is None and bins[1].observed_ci95 == (0.0, 1.0)
    assert bins[9].predicted == pytest.approx(0.985) and bins[9].observed == 1.0
    assert sum(b.n for b in bins) == len(p)


def test_wilson_interval_by_hand() -> None:
    # 3 of 10: centre (0.3 + 1.96²/20) / (1 + 1.96²/10) = 0.3489, half-width 0.2579
    lo, hi = cal.wilson(3, 10)
    assert lo == pytest.approx(0.1078, abs=1e-4) and hi == pytest.approx(0.6032, abs=1e-4)


def test_ece_by_hand() -> None:
    # bin 0: p 0.05, 0.05 → observed 0.5: |0.5−0.05| = 0.45, weight 2/4; bin 9: 0.95, 0.95 → 1.0
    p = np.array([0.05, 0.05, 0.95, 0.95])
    y = np.array([0, 1, 1, 1])
    assert cal.ece(y, p) == pytest.approx(0.5 * 0.45 + 0.5 * 0.05)


def test_company_bootstrap_of_the_ece_brackets_the_point_value() -> None:
    raw, y = _overconfident(3_000, seed=4)
    companies = np.repeat(np.arange(600), 5)
    lo, hi = cal.bootstrap_ece(y, raw, companies, draws=200)
    assert lo <= cal.ece(y, raw) <= hi and hi - lo < 0.1


@settings(max_examples=examples(40), deadline=None)
@given(st.lists(st.floats(0, 1), min_size=60, max_size=200), st.integers(0, 10**6))
def test_a_calibrator_keeps_probabilities_in_range_and_order(xs: list[float], seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = np.array(xs)
    y = (rng.random(len(p)) < p).astype(int)
    if min(int(y.sum()), len(y) - int(y.sum())) < cal.MIN_FIT_EVENTS:
        return
    for method in ("temperature", "platt", "isotonic"):
        out = cal.fit(method, p, y).apply(np.sort(p))
        assert ((out >= 0) & (out <= 1)).all()
        assert (np.diff(out) >= -1e-12).all(), method  # a recalibration never reorders
