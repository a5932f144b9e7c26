"""Cross-validation: fold assignment, out-of-fold predictions for every row, metric spread."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nlp_contact.data import validate_labelled
from nlp_contact.errors import ConfigError
from nlp_contact.workflow.crossval import CrossValResult, assign_folds, cross_validate, oof_frame
from tests.workflow.conftest import fast_config, topic_taxonomy


def test_folds_keep_groups_whole_and_spread_each_stratum() -> None:
    strata = np.array([0] * 20 + [1] * 10 + [2] * 3)
    groups = [f"g{i // 2}" if i < 20 else f"h{i}" for i in range(33)]  # stratum 0 in pairs
    folds = assign_folds(strata, groups, k=5, seed=1)
    for g in set(groups):
        assert len({folds[i] for i, h in enumerate(groups) if h == g}) == 1
    assert np.bincount(folds[strata == 0], minlength=5).tolist() == [4] * 5
    assert np.bincount(folds[strata == 1], minlength=5).tolist() == [2] * 5
    assert len(set(folds[strata == 2])) == 3
    assert assign_folds(strata, groups, k=5, seed=1).tolist() == folds.tolist()


def test_fewer_distinct_texts_than_folds_is_refused() -> None:
    with pytest.raises(ConfigError, match="found 2 distinct texts for 3 folds"):
        assign_folds(np.zeros(4, dtype=int), ["a", "a", "b", "b"], k=3, seed=0)


@pytest.fixture(scope="module")
def cv(topic_rows: list[dict[str, object]]) -> tuple[CrossValResult, pd.DataFrame]:
    rows = [*topic_rows, {**topic_rows[0], "id": "dup"}]  # a duplicate text
    tax = topic_taxonomy(rows)
    data = validate_labelled(pd.DataFrame(rows), tax, "topics")
    result = cross_validate(data, tax, fast_config(), folds=3)
    return result, oof_frame(result, data)


def test_every_row_gets_an_out_of_fold_prediction(cv: tuple[CrossValResult, pd.DataFrame]) -> None:
    result, oof = cv
    assert len(oof) == 121 and oof["row"].tolist() == list(range(1, 122))
    assert sorted(set(oof["fold"])) == [0, 1, 2]
    assert oof.loc[0, "fold"] == oof.loc[120, "fold"]  # duplicates share a fold
    assert sum(m["n"] for m in result.fold_metrics) == 121
    p = oof[[f"topic_p_{t}" for t in ("account", "card", "loan", "payment")]].to_numpy()
    assert np.allclose(p.sum(axis=1), 1.0, atol=1e-4)
    assert (oof["topic_pred"] == oof["topic"]).mean() > 0.9
    assert set(oof.columns) >= {"urgent", "urgent_pred", "urgent_probability", "urgent_threshold"}


def test_summary_has_mean_and_spread_per_head_and_flag(
    cv: tuple[CrossValResult, pd.DataFrame],
) -> None:
    result, _ = cv
    s = result.summary
    acc = [m["heads"]["topic"]["accuracy"] for m in result.fold_metrics]
    assert s["heads"]["topic"]["accuracy"]["mean"] == pytest.approx(np.mean(acc))
    assert s["heads"]["topic"]["accuracy"]["std"] == pytest.approx(np.std(acc, ddof=1))
    assert set(s["flags"]["urgent"]) == {"precision", "recall", "f1", "ece"}
    assert s["pooled"]["heads"]["topic"]["n"] == 121
    assert s["folds"] == 3


def test_folds_below_two_are_refused(topic_rows: list[dict[str, object]]) -> None:
    tax = topic_taxonomy(topic_rows)
    data = validate_labelled(pd.DataFrame(topic_rows), tax, "topics")
    with pytest.raises(ConfigError, match="--folds must be at least 2; found 1"):
        cross_validate(data, tax, folds=1)
