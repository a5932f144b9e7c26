"""What a contact is, read from a scored file's columns: probabilities or hard labels.

A *quantity* is a yes/no property of a contact: a head's label (``value_status=avoidable``),
a flag (``vulnerability``) or a derived value (``routing=refer_to_crt``). For each one the
report wants the model's probability and its hard prediction. Where they come from:

- a head: its ``HEAD_p_LABEL`` columns (``score --probabilities``); for a two-label head
  without them, ``HEAD`` and ``HEAD_confidence`` give the same numbers; otherwise only
  the predicted label ``HEAD`` (hard labels);
- a flag: ``FLAG_probability``, else the predicted ``FLAG``;
- a derived value: summed over the label combinations that its rules map to the value,
  each weighted by the product of the outputs' probabilities (the outputs are taken as
  independent given the text); the hard prediction is the derived column itself.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nlp_contact.data import TRUE_WORDS
from nlp_contact.report._errors import ReportInputError
from nlp_contact.taxonomy import Taxonomy

PROBABILITIES = "probabilities"
CONFIDENCE = "probabilities (from the confidence of a two-label head)"
HARD = "hard labels"
MAX_COMBINATIONS = 4096
SCORE_HINT = (
    "Score the file with `nlp-contact score INPUT --out SCORED --probabilities` and the "
    "model whose taxonomy the report uses (--model)."
)

Choice = str | bool
Distribution = dict[Choice, np.ndarray]


@dataclass(frozen=True)
class Quantity:
    """A yes/no property of a contact: ``output`` (head, flag or derived) has ``value``."""

    output: str
    value: str | None = None  # None for a flag

    @property
    def name(self) -> str:
        return self.output if self.value is None else f"{self.output}={self.value}"


class Columns:
    """How each output's probabilities and hard labels are read from a file's columns.

    Args:
        tax: the taxonomy the file was scored with.
        present: the file's column names.
        source: the file, for messages.
    """

    def __init__(self, tax: Taxonomy, present: list[str], source: str) -> None:
        self.tax = tax
        self.present = set(present)
        self.source = source
        self.basis: dict[str, str] = {}
        self.columns: dict[str, list[str]] = {}
        self.floats: list[str] = []  # the columns read as numbers
        self._combos: dict[str, list[tuple[tuple[tuple[str, Choice], ...], str]]] = {}

    def resolve(self, output: str, why: str) -> str:
        """Decide where ``output`` is read from; returns its basis. ``why`` is for messages."""
        if output not in self.basis:
            if output in self.tax.heads:
                self._resolve_head(output, why)
            elif output in self.tax.flags:
                self._resolve_flag(output, why)
            elif output in self.tax.derived:
                self._resolve_derived(output, why)
            else:
                raise ReportInputError(
                    f"The taxonomy's report section names '{output}' ({why}), which is not a "
                    f"head, flag or derived value of taxonomy '{self.tax.name}'."
                )
        return self.basis[output]

    def _resolve_head(self, head: str, why: str) -> None:
        self._require(head, f"the predicted {head} ({why})")
        labels = self.tax.heads[head].label_names
        probs = [f"{head}_p_{label}" for label in labels]
        if all(c in self.present for c in probs):
            self.basis[head], self.columns[head] = PROBABILITIES, [head, *probs]
            self.floats += probs
        elif len(labels) == 2 and f"{head}_confidence" in self.present:
            self.basis[head], self.columns[head] = CONFIDENCE, [head, f"{head}_confidence"]
            self.floats.append(f"{head}_confidence")
        else:
            self.basis[head], self.columns[head] = HARD, [head]

    def _resolve_flag(self, flag: str, why: str) -> None:
        self._require(flag, f"the predicted {flag} flag ({why})")
        if f"{flag}_probability" in self.present:
            self.basis[flag], self.columns[flag] = PROBABILITIES, [flag, f"{flag}_probability"]
            self.floats.append(f"{flag}_probability")
        else:
            self.basis[flag], self.columns[flag] = HARD, [flag]

    def _resolve_derived(self, name: str, why: str) -> None:
        involved = sorted({o for rule in self.tax.derived[name].rules for o in rule.when})
        n_combos = 1
        for o in involved:
            n_combos *= len(self._choices(o))
        soft = False
        if n_combos <= MAX_COMBINATIONS and all(o in self.present for o in involved):
            bases = [self.resolve(o, f"needed to compute {name}") for o in involved]
            self._combos[name] = self._enumerate(name, involved)
            soft = HARD not in bases
        else:
            self._require(name, f"the derived {name} ({why})")
        self.basis[name] = PROBABILITIES if soft else HARD
        self.columns[name] = [name] if name in self.present else []

    def _choices(self, output: str) -> list[Choice]:
        if output in self.tax.heads:
            return list(self.tax.heads[output].label_names)
        return [True, False]

    def _enumerate(
        self, name: str, involved: list[str]
    ) -> list[tuple[tuple[tuple[str, Choice], ...], str]]:
        out = []
        for choices in itertools.product(*(self._choices(o) for o in involved)):
            combo = tuple(zip(involved, choices, strict=True))
            labels = {o: str(c) for o, c in combo if o in self.tax.heads}
            flags = {o: bool(c) for o, c in combo if o in self.tax.flags}
            out.append((combo, self.tax.derive(labels, flags)[name]))
        return out

    def _require(self, column: str, what: str) -> None:
        if column not in self.present:
            shown = sorted(self.present)[:25]
            raise ReportInputError(
                f"Column '{column}' is missing from '{self.source}': the report needs "
                f"{what}. The file's columns are {shown}. {SCORE_HINT}"
            )

    def needed(self) -> list[str]:
        """Every column the resolved outputs are read from."""
        return list(dict.fromkeys(c for cols in self.columns.values() for c in cols))

    def combos(self, name: str) -> list[tuple[tuple[tuple[str, Choice], ...], str]]:
        """(output choices, derived value) for every combination of ``name``'s inputs."""
        return self._combos[name]


def as_bools(values: pd.Series) -> np.ndarray:
    """true/false cells (bools, or words such as 'True', 'yes', '1') as a bool array."""
    if values.dtype == bool:
        return values.to_numpy()
    words = values.astype(str).str.strip().str.lower()
    return np.asarray(words.isin(TRUE_WORDS).to_numpy(), dtype=bool)


def as_floats(values: pd.Series) -> np.ndarray:
    """Numeric cells as floats (NaN where missing or not a number)."""
    return np.asarray(pd.to_numeric(values, errors="coerce"), dtype=np.float64)


def combine(
    combos: list[tuple[tuple[tuple[str, Choice], ...], str]],
    value: str,
    dist: Callable[[str], Distribution],
    n: int,
) -> np.ndarray:
    """P(derived == value): the sum over combinations giving ``value`` of the product of
    each output's probability of its choice (one-hot inputs give the hard indicator)."""
    total = np.zeros(n)
    for combo, result in combos:
        if result != value:
            continue
        term = np.ones(n)
        for output, choice in combo:
            term = term * dist(output)[choice]
        total += term
    return total


class View:
    """One chunk of a file read through :class:`Columns`, with per-chunk caching."""

    def __init__(self, cols: Columns, frame: pd.DataFrame) -> None:
        self.cols = cols
        self.frame = frame
        self.n = len(frame)
        self._soft: dict[str, Distribution] = {}
        self._hard: dict[str, Distribution] = {}

    def prob(self, q: Quantity) -> np.ndarray:
        """The model's probability of ``q`` per row (0/1 where only hard labels exist)."""
        if q.output in self.cols.tax.derived:
            if self.cols.basis[q.output] == HARD:
                return self.hard(q).astype(np.float64)
            return combine(self.cols.combos(q.output), str(q.value), self._dist, self.n)
        return self._dist(q.output)[_choice(q)]

    def hard(self, q: Quantity) -> np.ndarray:
        """The model's hard prediction of ``q`` per row."""
        if q.output in self.cols.tax.derived:
            if q.output in self.frame.columns:
                return np.asarray(self.frame[q.output].astype(str) == q.value)
            combos = self.cols.combos(q.output)
            return combine(combos, str(q.value), self._indicators, self.n) > 0.5
        return self._indicators(q.output)[_choice(q)] > 0.5

    def _dist(self, output: str) -> Distribution:
        if output not in self._soft:
            basis = self.cols.basis[output]
            if basis == HARD:
                self._soft[output] = self._indicators(output)
            elif output in self.cols.tax.flags:
                p = as_floats(self.frame[f"{output}_probability"])
                self._soft[output] = {True: p, False: 1.0 - p}
            elif basis == PROBABILITIES:
                labels = self.cols.tax.heads[output].label_names
                self._soft[output] = {
                    lab: as_floats(self.frame[f"{output}_p_{lab}"]) for lab in labels
                }
            else:
                self._soft[output] = self._from_confidence(output)
        return self._soft[output]

    def _from_confidence(self, head: str) -> Distribution:
        first, second = self.cols.tax.heads[head].label_names
        conf = as_floats(self.frame[f"{head}_confidence"])
        is_first = np.asarray(self.frame[head].astype(str) == first)
        p_first = np.where(is_first, conf, 1.0 - conf)
        return {first: p_first, second: 1.0 - p_first}

    def _indicators(self, output: str) -> Distribution:
        if output not in self._hard:
            values = self.frame[output]
            if output in self.cols.tax.flags:
                true = as_bools(values).astype(np.float64)
                self._hard[output] = {True: true, False: 1.0 - true}
            else:
                text = values.astype(str)
                self._hard[output] = {
                    lab: np.asarray(text == lab, dtype=np.float64)
                    for lab in self.cols.tax.heads[output].label_names
                }
        return self._hard[output]


def _choice(q: Quantity) -> Choice:
    return True if q.value is None else q.value
