"""Label-issue finding recovers labels flipped on purpose.

Confident learning is conservative on small sets (a flip is only counted when the other
label's out-of-fold probability reaches that label's own average confidence), so the
floors below sit under what it finds on this 200-row set across seeds (topic recall
0.75 to 1.0 at precision 1.0).
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from nlp_contact.data import validate_labelled
from nlp_contact.workflow.crossval import cross_validate
from nlp_contact.workflow.label_issues import (
    COLUMNS,
    find_label_issues,
    issue_summary,
    output_issues,
)
from tests.workflow.conftest import TOPICS, fast_config, topic_records, topic_taxonomy

TOPIC_FLIPS = 8
FLAG_FLIPS = 4


@pytest.fixture(scope="module")
def flipped() -> tuple[pd.DataFrame, set[int], set[int]]:
    rng = random.Random(7)
    rows = topic_records(per_topic=50)
    topic_rows_flipped = set(rng.sample(range(len(rows)), TOPIC_FLIPS))
    for i in topic_rows_flipped:
        rows[i]["topic"] = rng.choice([t for t in TOPICS if t != rows[i]["topic"]])
    others = sorted(set(range(len(rows))) - topic_rows_flipped)
    flag_rows_flipped = set(rng.sample(others, FLAG_FLIPS))
    for i in flag_rows_flipped:
        rows[i]["urgent"] = not rows[i]["urgent"]
    return pd.DataFrame(rows), topic_rows_flipped, flag_rows_flipped


@pytest.fixture(scope="module")
def issues(flipped: tuple[pd.DataFrame, set[int], set[int]]) -> pd.DataFrame:
    df = flipped[0]
    tax = topic_taxonomy(df.to_dict("records"))
    data = validate_labelled(df, tax, "flipped")
    return find_label_issues(cross_validate(data, tax, fast_config(), folds=3), data)


def test_injected_flips_are_recovered(
    issues: pd.DataFrame, flipped: tuple[pd.DataFrame, set[int], set[int]]
) -> None:
    df, topic_flips, flag_flips = flipped
    found = {(o, int(r) - 1) for o, r in zip(issues["output"], issues["row"], strict=True)}
    truth = {("topic", i) for i in topic_flips} | {("urgent", i) for i in flag_flips}
    assert len(found & truth) / len(truth) >= 0.75, (sorted(found), sorted(truth))
    assert len(found & truth) / len(found) >= 0.75, (sorted(found), sorted(truth))
    topic_found = {i for o, i in found if o == "topic"}
    assert len(topic_found & topic_flips) / len(topic_flips) >= 0.75
    assert topic_found <= topic_flips
    topic = issues[issues["output"] == "topic"]
    for _, issue in topic.iterrows():
        if issue["row"] - 1 in topic_flips:
            original = df.loc[issue["row"] - 1, "id"].split("-")[0]
            assert issue["suggested"] == original


def test_issues_are_ranked_with_suggestion_and_text(issues: pd.DataFrame) -> None:
    assert list(issues.columns) == COLUMNS
    assert issues["rank"].tolist() == list(range(1, len(issues) + 1))
    assert issues["self_confidence"].is_monotonic_increasing
    assert (issues["given"] != issues["suggested"]).all()
    assert issues["text"].str.len().min() > 0
    summary = issue_summary(issues, 200)
    assert summary["issues"] == len(issues) and sum(summary["per_output"].values()) == len(issues)


def test_classes_never_given_are_left_out_of_cleanlab() -> None:
    labels = np.array([0, 1] * 10)
    probs = np.tile([0.7, 0.2, 0.1], (20, 1))
    probs[1::2] = [0.2, 0.7, 0.1]
    probs[3] = [0.9, 0.05, 0.05]  # row 3 is given 1 but looks like 0
    found = output_issues(labels, probs)
    assert found["issue"].tolist() == [i == 3 for i in range(20)]
    assert found["suggested"][3] == 0 and found["self_confidence"][3] == pytest.approx(0.05)
