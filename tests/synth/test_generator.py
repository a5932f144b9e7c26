"""Tests of the labelled-contact generator (nlp_contact.synth)."""

from __future__ import annotations

import ast
import collections
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from nlp_contact.errors import ConfigError
from nlp_contact.synth import (
    Composer,
    expected_shares,
    generate,
    load_proportions,
    reachable,
    write,
)
from nlp_contact.synth.proportions import Proportions

ROOT = Path(__file__).resolve().parents[2]
N = 5000
HARD_CASES = {
    "negation",
    "praise_in_complaint",
    "past_complaint",
    "settled_on_call",
    "referred_to_crt",
    "staff_praise",
    "staff_apology",
    "several_matters",
    "subtle_vulnerability",
    "accompanied",
    "disagreement",
    "language_preference",
}


def _load_checker() -> Any:
    spec = importlib.util.spec_from_file_location(
        "check_labelled", ROOT / "training/check_labelled.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECKER = _load_checker()
FIELDS = ["id", "text", "channel", *CHECKER.HEADS, *CHECKER.FLAGS]


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return list(generate(N, seed=11, with_meta=True))


def _plain(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rec.items() if k != "meta"}


def test_same_seed_same_records_other_seed_different() -> None:
    first = list(generate(300, seed=5))
    assert first == list(generate(300, seed=5))
    other = list(generate(300, seed=6))
    assert [r["text"] for r in first] != [r["text"] for r in other]


def test_prefix_stable_when_n_grows() -> None:
    assert list(generate(50, seed=2)) == list(generate(120, seed=2))[:50]


def test_every_record_valid_in_field_order(records: list[dict[str, Any]]) -> None:
    for rec in records:
        plain = _plain(rec)
        assert list(plain) == FIELDS
        assert CHECKER.check_record(plain) == [], plain
    assert len({r["id"] for r in records}) == N


def test_taxonomy_rules_hold(records: list[dict[str, Any]]) -> None:
    for r in records:
        if r["feedback_type"] == "complaint":
            assert r["value_status"] == "avoidable"
        if r["contact_reason"] == "feedback":
            if r["feedback_type"] in ("compliment", "suggestion"):
                assert r["value_status"] == "value"
            else:
                assert r["feedback_type"] in ("complaint", "issue")
        if r["staff_behaviour"]:
            assert r["feedback_type"] in ("issue", "complaint")


def test_shares_within_tolerance(records: list[dict[str, Any]]) -> None:
    expected = expected_shares(load_proportions())
    for field, labels in expected.items():
        seen = collections.Counter(r[field] for r in records)
        for label, share in labels.items():
            tolerance = 5 * (share * (1 - share) / N) ** 0.5 + 0.002  # five standard errors
            assert abs(seen[label] / N - share) < tolerance, (field, label, seen[label] / N, share)
    channel = collections.Counter(r["channel"] for r in records)
    post = channel["letter"] + channel["email"]
    assert 0.62 < channel["phone"] / (channel["phone"] + post) < 0.72
    assert 0.60 < sum(r["value_status"] == "value" for r in records) / N < 0.68
    assert 0.09 < sum(r["third_party"] for r in records) / N < 0.13
    avoidable = collections.Counter(
        r["contact_reason"] for r in records if r["value_status"] == "avoidable"
    )
    assert avoidable.most_common(1)[0][0] == "progress_chasing"


def test_each_hard_case_present_with_consistent_labels(records: list[dict[str, Any]]) -> None:
    by_tag: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for r in records:
        for tag in r["meta"]["hard_cases"]:
            by_tag[tag].append(r)
    for tag in HARD_CASES:
        assert len(by_tag[tag]) >= 20, (tag, len(by_tag[tag]))
    expect = {
        "staff_praise": lambda r: r["feedback_type"] == "compliment" and not r["staff_behaviour"],
        "staff_apology": lambda r: r["feedback_type"] == "issue" and r["staff_behaviour"],
        "past_complaint": lambda r: (
            r["contact_reason"] == "progress_chasing" and r["feedback_type"] == "none"
        ),
        "praise_in_complaint": lambda r: r["feedback_type"] == "complaint",
        "referred_to_crt": lambda r: r["feedback_type"] == "complaint",
        "settled_on_call": lambda r: r["feedback_type"] == "issue" and r["channel"] != "letter",
        "accompanied": lambda r: not r["third_party"],
        "subtle_vulnerability": lambda r: r["vulnerability"],
        "language_preference": lambda r: not r["vulnerability"],
        "disagreement": lambda r: (
            r["contact_reason"] == "payment_query" and r["value_status"] == "value"
        ),
        "negation": lambda r: r["feedback_type"] in ("none", "suggestion", "complaint"),
    }
    for tag, rule in expect.items():
        assert all(rule(r) for r in by_tag[tag]), tag


def test_hard_case_texts_say_what_they_should(records: list[dict[str, Any]]) -> None:
    texts = collections.defaultdict(list)
    for r in records:
        for tag in r["meta"]["hard_cases"]:
            texts[tag].append(r["text"].lower())
    assert any("not complaining" in t or "not a complaint" in t for t in texts["negation"])
    assert any("crt" in t or "complaint resolution" in t for t in texts["referred_to_crt"])
    subtle = " ".join(texts["subtle_vulnerability"])
    for cue in ("eaten", "gas on the meter", "sofa surfing", "better off"):
        assert cue in subtle, cue


def test_channels_and_voices_vary(records: list[dict[str, Any]]) -> None:
    voices = collections.Counter(r["meta"]["voice"] for r in records)
    assert len(voices) >= 12
    tp_voices = {
        r["meta"]["voice"] for r in records if r["third_party"] and r["channel"] == "letter"
    }
    assert {"mp_letter", "agency_letter", "relative_letter"} <= tp_voices
    lengths = [len(r["text"].split()) for r in records]
    assert min(lengths) <= 5 and max(lengths) >= 200
    assert any(t.isupper() for t in (r["text"] for r in records) if len(t) > 40)
    notes = " ".join(r["text"] for r in records if r["channel"] == "phone")
    for abbr in ("cust", "clmt", "UC", "PIP", "adv'd", "pmt", "appt", "CRT"):
        assert re.search(rf"\b{re.escape(abbr)}", notes), abbr


def _chi2_p(table: np.ndarray) -> float:
    table = table[:, table.sum(axis=0) > 0]
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0) / table.sum()
    stat = float(((table - expected) ** 2 / expected).sum())
    return float(chi2.sf(stat, (table.shape[0] - 1) * (table.shape[1] - 1)))


@pytest.mark.parametrize(
    "field", ["contact_reason", "feedback_type", "vulnerability", "third_party"]
)
def test_names_and_ninos_do_not_predict_labels(records: list[dict[str, Any]], field: str) -> None:
    named = [r for r in records if "cust_surname" in r["meta"]["sticky"]]
    assert len(named) > 1000
    pool = sorted({r["meta"]["sticky"]["cust_surname"] for r in named})
    first_half = set(pool[: len(pool) // 2])
    labels = sorted({str(r[field]) for r in records})
    table = np.zeros((2, len(labels)))
    for r in named:
        table[
            int(r["meta"]["sticky"]["cust_surname"] in first_half), labels.index(str(r[field]))
        ] += 1
    assert _chi2_p(table) > 0.001
    nino = re.compile(r"\b([A-Z]{2}) ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", re.IGNORECASE)
    table = np.zeros((2, len(labels)))
    for r in records:
        m = nino.search(r["text"])
        if m:
            table[int(m.group(1)[0].upper() < "M"), labels.index(str(r[field]))] += 1
    assert table.sum() > 1000
    assert _chi2_p(table) > 0.001


@pytest.mark.parametrize("hard_rate", [0.0, 1.0])
def test_every_reachable_label_combination_has_text(hard_rate: float) -> None:
    props = load_proportions().model_copy(update={"hard_case_rate": hard_rate})
    composer = Composer(props, seed=3)
    for i, labels in enumerate(reachable(props)):
        voices = composer.eligible_voices(labels)
        rec = composer.record(i, labels=labels, voice_name=voices[i % len(voices)])
        assert rec["text"].strip()
        assert CHECKER.check_record(rec) == []


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_outputs_readable_with_all_rows(tmp_path: Path, suffix: str) -> None:
    recs = list(generate(700, seed=4))
    path = tmp_path / f"out{suffix}"
    assert write(iter(recs), path, chunk_size=256) == 700
    if suffix == ".csv":
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        back = [
            {**row, **{f: row[f] == "true" for f in CHECKER.FLAGS}} for row in df.to_dict("records")
        ]
    elif suffix == ".jsonl":
        back = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    else:
        back = pd.read_parquet(path).to_dict("records")
        back = [{k: (bool(v) if k in CHECKER.FLAGS else v) for k, v in row.items()} for row in back]
    assert len(back) == 700
    assert [list(b) for b in back[:1]] == [FIELDS]
    assert [b["text"] for b in back] == [r["text"] for r in recs]
    assert all(CHECKER.check_record(b) == [] for b in back)


def test_write_rejects_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\.csv, \.jsonl or \.parquet"):
        write(generate(3, seed=0), tmp_path / "out.txt")


def test_proportions_file_merges_over_defaults(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "plan:\n  value_status:\n    shares: {value: 0.9, avoidable: 0.1}\nhard_case_rate: 0.5\n",
        "utf-8",
    )
    props = load_proportions(path)
    assert props.hard_case_rate == 0.5
    assert expected_shares(props)["value_status"]["value"] == pytest.approx(0.9)
    assert expected_shares(props)["channel"]["phone"] == pytest.approx(0.62)
    recs = list(generate(1000, seed=0, proportions=props))
    assert sum(r["value_status"] == "value" for r in recs) > 850


def test_bad_proportions_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("plan:\n  channel:\n    given: [vulnerability]\n", "utf-8")
    with pytest.raises(ConfigError, match="not sampled before it"):
        load_proportions(path)
    path.write_text("hard_case_rate: 2\n", "utf-8")
    with pytest.raises(ConfigError, match="hard_case_rate"):
        load_proportions(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_proportions(tmp_path / "missing.yaml")
    assert isinstance(load_proportions(), Proportions)


def test_python_code_names_no_label() -> None:
    labels = {label for allowed in CHECKER.HEADS.values() for label in allowed}
    labels |= set(CHECKER.FLAGS)
    for path in sorted((ROOT / "nlp_contact" / "synth").glob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        found = {
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        assert not found & labels, (path.name, found & labels)
