"""Champion/challenger comparison: paired-bootstrap metrics and every gate decision."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from nlp_contact.data import LabelledData
from nlp_contact.errors import ConfigError
from nlp_contact.metrics import flag_metrics, head_metrics
from nlp_contact.taxonomy import Taxonomy, taxonomy_from_columns
from nlp_contact.workflow.compare import compare_models
from nlp_contact.workflow.gates import Gates, gates_from_dict, load_gates

LABELS = ["account", "card", "loan", "payment"]
N = 200
Y = np.repeat(np.arange(4), 50)
URGENT = np.arange(N) % 5 == 0  # 40 positives
TAX: Taxonomy = taxonomy_from_columns({"topic": LABELS}, flags=["urgent"])


class StubModel:
    """Fixed predictions per row (texts are 'row K'), shaped like a ContactClassifier."""

    def __init__(self, pred: np.ndarray, conf: np.ndarray, flag_prob: np.ndarray) -> None:
        self.taxonomy_ = TAX
        self.labels_ = {"topic": LABELS}
        self.calibration_ = SimpleNamespace(flag_threshold={"urgent": 0.5})
        self.model_info = {"name": "stub", "version": "0", "backend": "stub"}
        probs = np.tile(((1 - conf) / 3)[:, None], (1, 4))
        probs[np.arange(N), pred] = conf
        self._out = {"pred": {"topic": pred}, "probs": {"topic": probs, "urgent": flag_prob}}

    def predict_labels(self, texts: list[str]) -> dict[str, Any]:
        idx = [int(t.split()[1]) for t in texts]
        return {k: {o: v[idx] for o, v in d.items()} for k, d in self._out.items()}


def model(wrong: np.ndarray | None = None, missed: int = 2, right_conf: float = 0.9) -> StubModel:
    """Every 10th row wrong (plus ``wrong``); ``missed`` urgent rows not caught."""
    bad = np.arange(N) % 10 == 9
    if wrong is not None:
        bad |= wrong
    pred = np.where(bad, (Y + 1) % 4, Y)
    conf = np.where(bad, 0.6, right_conf)
    flag = np.where(URGENT, 0.9, 0.05)
    flag[np.flatnonzero(URGENT)[:missed]] = 0.1
    return StubModel(pred, conf, flag)


def card_rows(k: int) -> np.ndarray:
    """``k`` more rows of label 'card' predicted wrong."""
    mask = np.zeros(N, dtype=bool)
    mask[[50 + i for i in range(50) if i % 10 != 9][:k]] = True
    return mask


DATA = LabelledData(
    texts=[f"row {i}" for i in range(N)],
    labels={"topic": np.array([LABELS[k] for k in Y], dtype=object)},
    flags={"urgent": URGENT},
    ids=[str(i) for i in range(N)],
    channels=["phone" if i % 2 else "letter" for i in range(N)],
    weights=np.ones(N),
    extra=pd.DataFrame({"team": ["a"] * 100 + ["b"] * 100}),
)


LENIENT_ECE = {"max_ece_increase": 0.5}


def gates(**sections: Any) -> Gates:
    base: dict[str, Any] = {
        "bootstrap": {"resamples": 200, "seed": 1},
        "flag_recall": [{"flag": "urgent", "target": 0.8}],
    }
    return gates_from_dict({**base, **sections})


def run(
    challenger: StubModel, g: Gates | None = None, champion: StubModel | None = None
) -> dict[str, Any]:
    return compare_models(champion or model(), challenger, DATA, g or gates(), ["team"])  # type: ignore[arg-type]


def _failed(result: dict[str, Any]) -> set[str]:
    return {g["gate"] for g in result["gates"] if not g["passed"]}


def test_identical_models_promote_with_zero_differences() -> None:
    result = run(model())
    assert result["decision"] == "promote" and not _failed(result)
    acc = result["heads"]["topic"]["accuracy"]
    assert acc["difference"] == {"value": 0.0, "low": 0.0, "high": 0.0}
    assert acc["champion"]["low"] < acc["champion"]["value"] == 0.9 < acc["champion"]["high"]
    assert set(result["slices"]) == {"channel", "text_length", "team"}


def test_point_values_match_the_core_metrics() -> None:
    champ = model()
    result = run(model(), champion=champ)
    out = champ.predict_labels(DATA.texts)
    core = head_metrics(Y, out["probs"]["topic"], out["pred"]["topic"], LABELS)
    head = result["heads"]["topic"]
    for key in ("accuracy", "macro_f1", "ece"):
        assert head[key]["champion"]["value"] == pytest.approx(core[key], abs=1e-6)
    assert head["labels"]["card"]["recall"]["champion"]["value"] == pytest.approx(
        core["per_label"]["card"]["recall"]
    )
    flag = flag_metrics(URGENT, out["probs"]["urgent"], 0.5)
    for key in ("recall", "precision", "f1", "ece"):
        assert result["flags"]["urgent"][key]["champion"]["value"] == pytest.approx(
            flag[key], abs=1e-6
        )


def test_label_recall_drop_beyond_margin_keeps_the_champion() -> None:
    result = run(model(wrong=card_rows(10)), gates(calibration=LENIENT_ECE))
    assert result["decision"] == "keep" and _failed(result) == {"label_recall"}
    [failure] = next(g for g in result["gates"] if g["gate"] == "label_recall")["failures"]
    assert (failure["label"], failure["champion"], failure["challenger"]) == ("card", 0.9, 0.7)
    assert failure["difference"]["high"] < 0


def test_small_drop_within_margin_promotes() -> None:
    result = run(model(wrong=card_rows(2)))  # recall 0.90 -> 0.86
    assert result["decision"] == "promote"


def test_interval_mode_forgives_a_drop_the_data_cannot_confirm() -> None:
    challenger = model(wrong=card_rows(3))  # recall 0.90 -> 0.84: beyond 0.05
    assert run(challenger)["decision"] == "keep"
    lenient = gates(label_recall={"decide_on": "interval"})
    assert run(challenger, lenient)["decision"] == "promote"


def test_labels_under_min_support_are_not_gated() -> None:
    result = run(model(wrong=card_rows(10)), gates(label_recall={"min_support": 51}))
    gate = next(g for g in result["gates"] if g["gate"] == "label_recall")
    assert gate["passed"] and gate["labels_checked"] == 0


def test_flag_recall_lower_bound_below_target_keeps() -> None:
    result = run(model(missed=8), gates(calibration=LENIENT_ECE))  # 32/40: Wilson low 0.652
    assert result["decision"] == "keep" and _failed(result) == {"flag_recall"}
    gate = next(g for g in result["gates"] if g["gate"] == "flag_recall")
    assert gate["challenger_lower_bound"] == pytest.approx(0.652, abs=1e-3)
    assert gate["champion_lower_bound"] == pytest.approx(0.835, abs=1e-3)


def test_worse_calibration_keeps() -> None:
    result = run(model(right_conf=0.6))  # same predictions, confidence far below accuracy
    assert result["decision"] == "keep" and _failed(result) == {"calibration"}
    [failure] = next(g for g in result["gates"] if g["gate"] == "calibration")["failures"]
    # champion ECE .9 * |.9 - 1| + .1 * |.6 - 0| = .15; challenger |.6 - .9| = .30
    assert failure["output"] == "topic" and failure["increase"] == pytest.approx(0.15)


def test_gate_settings_are_validated_with_their_key_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"label_recall\.max_dorp: Extra inputs"):
        gates_from_dict({"label_recall": {"max_dorp": 0.1}})
    with pytest.raises(ConfigError, match=r"flag_recall\.0\.target: Field required"):
        gates_from_dict({"flag_recall": [{"flag": "urgent"}]})
    with pytest.raises(ConfigError, match=r"flag_recall\.flag names \['vulnerability'\]"):
        run(model(), gates(flag_recall=[{"flag": "vulnerability", "target": 0.8}]))
    with pytest.raises(ConfigError, match="does not exist"):
        load_gates(tmp_path / "none.toml")
    assert load_gates(None).label_recall.max_drop == 0.05


def test_models_of_different_taxonomies_are_refused() -> None:
    other = model()
    other.labels_ = {"topic": [*LABELS, "savings"]}
    with pytest.raises(ConfigError, match="Head 'topic' differs between the models"):
        run(other)


def test_repo_gates_file_is_valid() -> None:
    path = Path(__file__).resolve().parents[2] / "training" / "configs" / "gates.toml"
    g = load_gates(path)
    assert g.flag_recall[0].flag == "vulnerability" and g.bootstrap.resamples >= 1000
