"""The report's statistics: expected counts with intervals, and the audit correction.

**Expected counts.** With calibrated probabilities ``p_i`` that contact ``i`` has a
property, the number of contacts that truly have it is a sum of independent Bernoulli
variables: a Poisson-binomial count with mean ``sum p_i`` and variance
``sum p_i (1 - p_i)``. The 95% interval is the normal approximation, mean +/- 1.96 sd,
clipped to the possible range. It covers the true count when the probabilities are
calibrated on these contacts; it does not include calibration error (an audit sample
measures that).

**Shares.** A share is a ratio ``A / B`` of two such sums (``B`` is the number of
contacts in the group: fixed for an observed group such as a channel, itself uncertain
for a predicted group such as a contact reason). Per contact the pair ``(A_i, B_i)`` has
means ``a_i``, ``b_i`` and ``E[A_i B_i] = ab_i``; the interval is the delta method::

    R = sum a / sum b
    var(R) ~ (var A - 2 R cov(A, B) + R^2 var B) / (sum b)^2

with ``var A = sum a(1-a)``, ``var B = sum b(1-b)``, ``cov(A, B) = sum (ab - a b)``.

**Audit correction** (Rogan and Gladen, 1978). From a labelled sample scored by the
same model: sensitivity ``Se = P(predicted yes | truly yes)`` and specificity
``Sp = P(predicted no | truly no)``. With the share of contacts *predicted* yes, ``a``,
the corrected share is ``(a + Sp - 1) / (Se + Sp - 1)``, clipped to [0, 1]. Its interval
is a percentile bootstrap that resamples the audit rows (Se and Sp) and the scored
contacts (``a``) together, so it includes the audit sample's uncertainty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from nlp_contact.workflow.stats import Z95, percentile_interval

NAN = float("nan")


@dataclass
class Sums:
    """Sufficient statistics of a share ``A / B`` (or a count ``A``) over contacts.

    ``a``/``b``: expected sums; ``var_a``, ``var_b``, ``cov``: their (co)variances;
    ``rows``: contacts seen; ``hard_a``, ``hard_b``, ``hard_ab``: the same sums of the
    hard predictions (for the hard-label estimate and the audit correction).
    """

    a: float = 0.0
    b: float = 0.0
    var_a: float = 0.0
    var_b: float = 0.0
    cov: float = 0.0
    rows: float = 0.0
    hard_a: float = 0.0
    hard_b: float = 0.0
    hard_ab: float = 0.0

    def __iadd__(self, other: Sums) -> Sums:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self


def row_terms(
    a: np.ndarray,
    b: np.ndarray,
    ab: np.ndarray,
    hard_a: np.ndarray,
    hard_b: np.ndarray,
    hard_ab: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per-contact terms whose column sums are :class:`Sums` (see the module docstring)."""
    return {
        "a": a,
        "b": b,
        "var_a": a * (1 - a),
        "var_b": b * (1 - b),
        "cov": ab - a * b,
        "rows": np.ones(len(a)),
        "hard_a": hard_a.astype(np.float64),
        "hard_b": hard_b.astype(np.float64),
        "hard_ab": hard_ab.astype(np.float64),
    }


def sums_from(terms: dict[str, np.ndarray]) -> Sums:
    """Column sums of :func:`row_terms` output."""
    return Sums(**{k: float(np.sum(v)) for k, v in terms.items()})


def share_interval(s: Sums, z: float = Z95) -> tuple[float, float, float]:
    """(share, low, high) of ``A / B``: delta-method normal interval, clipped to [0, 1].

    Example:
        >>> p = np.array([0.9, 0.2, 0.6, 0.1])
        >>> one = np.ones(4)
        >>> s = sums_from(row_terms(p, one, p, p > 0.5, one, p > 0.5))
        >>> [round(x, 4) for x in share_interval(s)]
        [0.45, 0.0768, 0.8232]
    """
    if s.b <= 0:
        return NAN, NAN, NAN
    r = s.a / s.b
    var = (s.var_a - 2 * r * s.cov + r * r * s.var_b) / (s.b * s.b)
    half = z * math.sqrt(max(var, 0.0))
    return r, max(0.0, r - half), min(1.0, r + half)


def count_interval(s: Sums, z: float = Z95) -> tuple[float, float, float]:
    """(expected count, low, high) of ``A``: Poisson-binomial mean +/- z sd, in [0, rows]."""
    half = z * math.sqrt(max(s.var_a, 0.0))
    return s.a, max(0.0, s.a - half), min(s.rows, s.a + half)


@dataclass(frozen=True)
class ErrorRates:
    """A hard prediction's errors on the audit sample: the 2x2 confusion counts."""

    tp: int
    fn: int
    fp: int
    tn: int

    @classmethod
    def of(cls, pred: np.ndarray, true: np.ndarray) -> ErrorRates:
        pred, true = np.asarray(pred, bool), np.asarray(true, bool)
        return cls(
            int((pred & true).sum()),
            int((~pred & true).sum()),
            int((pred & ~true).sum()),
            int((~pred & ~true).sum()),
        )

    @property
    def sensitivity(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else NAN

    @property
    def specificity(self) -> float:
        return self.tn / (self.tn + self.fp) if self.tn + self.fp else NAN

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "audit_rows": self.tp + self.fn + self.fp + self.tn,
            "truly_yes": self.tp + self.fn,
            "truly_no": self.fp + self.tn,
            "sensitivity": _finite(self.sensitivity),
            "specificity": _finite(self.specificity),
        }


def rogan_gladen(
    apparent: np.ndarray | float, se: np.ndarray | float, sp: np.ndarray | float
) -> np.ndarray:
    """The true share from the predicted share and the error rates, clipped to [0, 1].

    NaN where ``Se + Sp <= 1`` (the predictions carry no information).

    Example:
        >>> float(rogan_gladen(0.17, 0.8, 0.9))
        0.1
    """
    apparent, se, sp = (np.asarray(x, dtype=np.float64) for x in (apparent, se, sp))
    youden = se + sp - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(youden > 0, (apparent + sp - 1) / youden, NAN)
    return np.clip(out, 0.0, 1.0)


def bootstrap_rates(
    pred: list[np.ndarray], true: list[np.ndarray], n_boot: int, rng: np.random.Generator
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(Se, Sp) replicates for each of K quantities from one resampling of the audit rows.

    Resampling rows with replacement only changes the counts of the ``4**K`` joint
    (prediction, truth) cells, so the cells are drawn from a multinomial directly.
    """
    k = len(pred)
    m = len(pred[0])
    cell = np.zeros(m, dtype=np.int64)
    for j in range(k):
        cell += (2 * np.asarray(pred[j], int) + np.asarray(true[j], int)) * 4**j
    counts = np.bincount(cell, minlength=4**k)
    draws = rng.multinomial(m, counts / m, size=n_boot) if m else np.zeros((n_boot, 4**k))
    ids = np.arange(4**k)
    out = []
    for j in range(k):
        kind = (ids // 4**j) % 4  # 0: pred no/true no, 1: no/yes, 2: yes/no, 3: yes/yes
        tp, fn = draws[:, kind == 3].sum(1), draws[:, kind == 1].sum(1)
        fp, tn = draws[:, kind == 2].sum(1), draws[:, kind == 0].sum(1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out.append((tp / (tp + fn), tn / (tn + fp)))
    return out


def bootstrap_apparent(
    hard: list[float], hard_ab: float, rows: float, n_boot: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Replicates of the predicted share(s) of the scored contacts (one or two quantities;
    for two, ``hard_ab`` contacts are predicted yes for both)."""
    n = int(round(rows))
    if n <= 0:
        return [np.full(n_boot, NAN) for _ in hard]
    if len(hard) == 1:
        return [rng.binomial(n, min(max(hard[0] / n, 0.0), 1.0), size=n_boot) / n]
    a, b = hard
    cells = np.array([hard_ab, a - hard_ab, b - hard_ab, n - a - b + hard_ab])
    draws = rng.multinomial(n, np.clip(cells, 0, None) / max(cells.clip(0).sum(), 1), n_boot)
    return [(draws[:, 0] + draws[:, 1]) / n, (draws[:, 0] + draws[:, 2]) / n]


def corrected_share(
    s: Sums,
    rates: list[ErrorRates],
    boot: list[tuple[np.ndarray, np.ndarray]],
    rng: np.random.Generator,
    ratio: bool,
) -> tuple[float, float, float]:
    """(estimate, low, high) of a share corrected for the model's error.

    ``ratio=False``: the share of the group's contacts that truly have the event.
    ``ratio=True``: true share of event over true share of ``within`` (two quantities).
    """
    n_boot = len(boot[0][0])
    if not ratio:
        point = float(rogan_gladen(s.hard_a / s.rows, rates[0].sensitivity, rates[0].specificity))
        (app,) = bootstrap_apparent([s.hard_a], 0.0, s.rows, n_boot, rng)
        low, high = percentile_interval(rogan_gladen(app, *boot[0]))
        return point, low, high
    pa = float(rogan_gladen(s.hard_a / s.rows, rates[0].sensitivity, rates[0].specificity))
    pb = float(rogan_gladen(s.hard_b / s.rows, rates[1].sensitivity, rates[1].specificity))
    app_a, app_b = bootstrap_apparent([s.hard_a, s.hard_b], s.hard_ab, s.rows, n_boot, rng)
    with np.errstate(divide="ignore", invalid="ignore"):
        reps = rogan_gladen(app_a, *boot[0]) / rogan_gladen(app_b, *boot[1])
    low, high = percentile_interval(np.clip(reps, 0.0, 1.0))
    return (min(pa / pb, 1.0) if pb > 0 else NAN), low, high


def _finite(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 6)
