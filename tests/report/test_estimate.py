"""Interval coverage on simulated contacts, and the audit correction on known error rates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nlp_contact.report import build_report
from nlp_contact.report.estimate import (
    ErrorRates,
    bootstrap_rates,
    corrected_share,
    count_interval,
    rogan_gladen,
    row_terms,
    share_interval,
    sums_from,
)
from tests.report.conftest import avoidable_heads, scored_frame, write

SIMULATIONS = 2000


def _covered(truth: np.ndarray, low: float, high: float) -> float:
    return float(np.mean((truth >= low - 1e-12) & (truth <= high + 1e-12)))


def test_share_interval_covers_the_true_share_95_percent() -> None:
    rng = np.random.default_rng(1)
    p = rng.beta(0.6, 1.2, size=400)  # calibrated probabilities of 400 contacts
    one = np.ones_like(p)
    est, low, high = share_interval(sums_from(row_terms(p, one, p, p > 0.5, one, p > 0.5)))
    truth = (rng.random((SIMULATIONS, len(p))) < p).mean(axis=1)  # Bernoulli draws
    assert est == pytest.approx(p.mean())
    assert 0.93 <= _covered(truth, low, high) <= 0.97


def test_count_interval_covers_a_rare_count() -> None:
    rng = np.random.default_rng(2)
    p = rng.beta(0.3, 8.0, size=2000)  # about 70 expected complaints
    one = np.ones_like(p)
    _, low, high = count_interval(sums_from(row_terms(p, one, p, p > 0.5, one, p > 0.5)))
    truth = (rng.random((SIMULATIONS, len(p))) < p).sum(axis=1)
    assert 0.93 <= _covered(truth, low, high) <= 0.97


def test_share_within_a_predicted_group_covers_95_percent() -> None:
    rng = np.random.default_rng(3)
    n = 1500
    p, q = rng.beta(1, 2, size=n), rng.beta(0.4, 0.9, size=n)  # P(avoidable), P(group)
    s = sums_from(row_terms(p * q, q, p * q, p > 0.5, q > 0.5, p > 0.5))
    _, low, high = share_interval(s)
    y = rng.random((SIMULATIONS, n)) < p
    z = rng.random((SIMULATIONS, n)) < q
    truth = (y & z).sum(axis=1) / z.sum(axis=1)
    assert 0.93 <= _covered(truth, low, high) <= 0.97


def test_reason_share_of_avoidable_covers_95_percent() -> None:
    rng = np.random.default_rng(4)
    n = 1500
    pa = rng.beta(1, 2, size=n)  # P(avoidable)
    pr = pa * rng.beta(2, 3, size=n)  # P(this reason), which implies avoidable
    s = sums_from(row_terms(pr, pa, pr, pr > 0.5, pa > 0.5, pr > 0.5))
    _, low, high = share_interval(s)
    u = rng.random((SIMULATIONS, n))
    reason, avoid = u < pr, u < pa  # the reason's draws lie inside avoidable's
    truth = reason.sum(axis=1) / avoid.sum(axis=1)
    assert 0.93 <= _covered(truth, low, high) <= 0.97


def _population(
    n: int, share: float, se: float, sp: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Truth and a classifier's hard predictions with known error rates."""
    truth = rng.random(n) < share
    pred = np.where(truth, rng.random(n) < se, rng.random(n) >= sp)
    return truth, pred


def test_rogan_gladen_recovers_the_true_share_and_its_interval_covers() -> None:
    rng = np.random.default_rng(5)
    se, sp, share = 0.75, 0.9, 0.15
    covered, errors = 0, []
    runs = 200
    for _ in range(runs):
        truth, pred = _population(20_000, share, se, sp, rng)
        # the audit sample has another mix of contacts; the error rates are the same
        a_true, a_pred = _population(800, 0.4, se, sp, rng)
        s = sums_from(row_terms(*(np.zeros(len(pred)),) * 3, pred, np.ones(len(pred)), pred))
        rates = [ErrorRates.of(a_pred, a_true)]
        boot = bootstrap_rates([a_pred], [a_true], 500, rng)
        est, low, high = corrected_share(s, rates, boot, rng, ratio=False)
        errors.append(est - truth.mean())
        covered += low <= truth.mean() <= high
    assert abs(np.mean(errors)) < 0.005  # unbiased
    assert np.std(errors) < 0.03
    assert 0.9 <= covered / runs <= 0.99
    # the uncorrected share of predictions is far off: .15*.75 + .85*.1 = .1975
    assert float(rogan_gladen(0.1975, se, sp)) == pytest.approx(share)


def test_audit_file_corrects_the_report(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    se, sp = 0.8, 0.85
    truth, pred = _population(5000, 0.2, se, sp, rng)
    p = np.where(pred, 0.7, 0.1)  # hard predictions right, probabilities miscalibrated
    scored = write(scored_frame(avoidable_heads(p)), tmp_path / "scored.csv")
    a_true, a_pred = _population(1000, 0.5, se, sp, rng)
    audit = scored_frame(avoidable_heads(np.where(a_pred, 0.7, 0.1)))
    audit["true_value_status"] = np.where(a_true, "avoidable", "value")
    audit["true_avoidable_reason"] = np.where(a_true, "service_failure", "not_avoidable")
    summary = build_report(
        scored, tmp_path / "out", audit=write(audit, tmp_path / "a.csv"), charts=False
    )
    table = pd.read_csv(tmp_path / "out" / "report.csv")
    rows = table[(table.measure == "avoidable_share") & (table.group == "all")]
    model = rows[rows.method == "expected"].iloc[0]
    fixed = rows[rows.method == "audit_corrected"].iloc[0]
    true_share = truth.mean()
    assert not model.ci_low <= true_share <= model.ci_high  # miscalibrated: misses
    assert fixed.ci_low <= true_share <= fixed.ci_high
    assert fixed.estimate == pytest.approx(true_share, abs=0.03)
    assert summary["headline"]["avoidable_share"]["method"] == "audit_corrected"
    rates = summary["audit"]["error_rates"]["value_status=avoidable"]
    assert rates["sensitivity"] == pytest.approx(se, abs=0.05)
    assert any("feedback_type" in q for q in summary["audit"]["not_corrected"])
