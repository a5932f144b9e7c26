from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from nlp_contact import ArtifactError, ContactClassifier, NotFittedError, TrainConfig, load_taxonomy
from nlp_contact.artifacts import META_FILE, VersionMismatchWarning, write_manifest
from nlp_contact.calibration import expected_calibration_error
from nlp_contact.errors import ConfigError
from tests.conftest import COLUMNS, tiny_records

PROBES = [
    "cust rang chasing UC payment not arrived",
    "I want to start a new claim for Universal Credit",
    "The adviser was rude, I want to make a formal complaint",
    "thanks so much, your staff were brilliant",
    "writing on behalf of my constituent about her claim",
    "no money for food and no gas on the meter",
]


def _fit(**train: object) -> ContactClassifier:
    recs = tiny_records() * 3
    labels = {c: [r[c] for r in recs] for c in COLUMNS[2:]}
    cfg = TrainConfig.model_validate({"train": {"validation_fraction": 0.34, **train}})
    return ContactClassifier(config=cfg).fit([r["text"] for r in recs], labels)


def test_overfits_training_texts() -> None:
    clf = _fit()
    recs = tiny_records()
    preds = clf.predict([r["text"] for r in recs])
    for head in ("contact_reason", "feedback_type"):
        acc = np.mean([p.heads[head].label == r[head] for p, r in zip(preds, recs, strict=True)])
        assert acc >= 0.95


def test_save_reload_identical_and_batch_equals_single(tmp_path: Path) -> None:
    clf = _fit()
    clf.save(tmp_path / "m")
    again = ContactClassifier.load(tmp_path / "m")
    before = [p.to_dict() for p in clf.predict(PROBES)]
    after = [p.to_dict() for p in again.predict(PROBES)]
    assert before == after
    single = [again.predict([t])[0].to_dict() for t in PROBES]
    assert single == after
    probs_a, probs_b = clf.predict_proba(PROBES), again.predict_proba(PROBES)
    for name in probs_a:
        np.testing.assert_array_equal(probs_a[name], probs_b[name])


def test_prediction_shape_and_constraint_always_respected(tiny_model: Path) -> None:
    clf = ContactClassifier.load(tiny_model)
    for p in clf.predict(PROBES + ["zzz", "hello", "a b c"]):
        assert set(p.heads) == {
            "contact_reason",
            "value_status",
            "avoidable_reason",
            "feedback_type",
        }
        assert len(p.heads["contact_reason"].top) == 3
        probs = [t.probability for t in p.heads["contact_reason"].top]
        assert probs == sorted(probs, reverse=True)
        assert (p.heads["value_status"].label == "value") == (
            p.heads["avoidable_reason"].label == "not_avoidable"
        )
        assert set(p.derived) == {"routing", "priority"}
        assert p.needs_review == any(h.confidence < h.review_threshold for h in p.heads.values())
        for f in p.flags.values():
            assert f.value == (f.probability >= f.threshold)


def test_probabilities_sum_to_one(tiny_model: Path) -> None:
    probs = ContactClassifier.load(tiny_model).predict_proba(PROBES)
    for head in load_taxonomy().head_names:
        np.testing.assert_allclose(probs[head].sum(axis=1), 1.0, rtol=1e-6)


def test_explain_returns_terms_from_the_text(tiny_model: Path) -> None:
    clf = ContactClassifier.load(tiny_model)
    text = "The adviser was rude, I want to make a formal complaint"
    pred = clf.predict([text], explain=True)[0]
    assert pred.evidence is not None
    terms = [t.term for t in pred.evidence["feedback_type"]]
    assert terms, "expected evidence terms for feedback_type"
    assert all(all(w in text.lower() for w in t.split()) for t in terms)
    assert "evidence" in pred.to_dict()


def test_bare_string_and_non_strings_rejected(tiny_model: Path) -> None:
    clf = ContactClassifier.load(tiny_model)
    with pytest.raises(TypeError, match="string object received"):
        clf.predict("one text")
    with pytest.raises(TypeError, match=r"texts\[1\] must be str"):
        clf.predict(["ok", 3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="string object received"):
        ContactClassifier().fit("text", {})


def test_not_fitted() -> None:
    with pytest.raises(NotFittedError, match="not fitted yet"):
        ContactClassifier().predict(["x"])


def test_unknown_label_in_fit_is_reported() -> None:
    recs = tiny_records()
    labels = {c: [r[c] for r in recs] for c in COLUMNS[2:]}
    labels["feedback_type"][4] = "rant"
    with pytest.raises(ValueError, match="row 5, column 'feedback_type': unknown label"):
        ContactClassifier().fit([r["text"] for r in recs], labels)


def _copy(model: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(model, dst)
    return dst


def test_tampered_weights_refused(tiny_model: Path, tmp_path: Path) -> None:
    model = _copy(tiny_model, tmp_path)
    weights = model / "linear_weights.npz"
    weights.write_bytes(weights.read_bytes() + b"\0")
    with pytest.raises(ArtifactError, match="'linear_weights.npz' has changed"):
        ContactClassifier.load(model)


def test_unknown_and_missing_files_refused(tiny_model: Path, tmp_path: Path) -> None:
    model = _copy(tiny_model, tmp_path)
    (model / "evil.pkl").write_bytes(b"cos\nsystem\n")
    with pytest.raises(ArtifactError, match="'evil.pkl' is not in the manifest"):
        ContactClassifier.load(model)
    (model / "evil.pkl").unlink()
    (model / "linear_vocabulary.json").unlink()
    with pytest.raises(ArtifactError, match="'linear_vocabulary.json' is missing"):
        ContactClassifier.load(model)
    with pytest.raises(ArtifactError, match="does not exist"):
        ContactClassifier.load(tmp_path / "nowhere")


def test_version_mismatch_warns(tiny_model: Path, tmp_path: Path) -> None:
    model = _copy(tiny_model, tmp_path)
    meta = json.loads((model / META_FILE).read_text())
    meta["versions"]["scikit-learn"] = "0.1.0"
    (model / META_FILE).write_text(json.dumps(meta))
    write_manifest(model)
    with pytest.warns(VersionMismatchWarning, match=r"scikit-learn 0\.1\.0 \(saved\)"):
        ContactClassifier.load(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ContactClassifier.load(tiny_model)


def test_model_directory_contents(tiny_model: Path) -> None:
    names = {p.name for p in tiny_model.iterdir()}
    assert {"config.json", "meta.json", "manifest.json", "README.md", "linear_weights.npz"} <= names
    meta = json.loads((tiny_model / "meta.json").read_text())
    assert meta["versions"]["scikit-learn"]
    assert meta["validation_metrics"]["heads"]["contact_reason"]["ece"] >= 0
    with np.load(tiny_model / "linear_weights.npz", allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)
    card = (tiny_model / "README.md").read_text()
    assert "Intended use and limits" in card and "contact_reason" in card


def test_cross_fitted_calibration_records_cv_metrics() -> None:
    clf = _fit(validation="cv", folds=3)
    assert clf.validation_metrics_["method"] == "cv"
    assert clf.validation_metrics_["n"] == 72


def test_flag_threshold_meets_target_recall_on_held_out() -> None:
    clf = _fit()
    vul = clf.validation_metrics_["flags"]["vulnerability"]
    assert vul["recall"] >= 0.95


def test_calibration_measured_on_held_out_data() -> None:
    """Calibrated probabilities are closer to observed accuracy than raw softmax scores."""
    from sklearn.datasets import make_classification

    from nlp_contact.calibration import apply_temperature, fit_temperature

    X, y = make_classification(3000, n_classes=3, n_informative=6, random_state=0)
    logits = X[:, :3] * 4.0  # deliberately over-confident scores
    fit_idx, test_idx = np.arange(1500), np.arange(1500, 3000)
    T = fit_temperature(logits[fit_idx], y[fit_idx])
    raw = apply_temperature(logits[test_idx], 1.0)
    cal = apply_temperature(logits[test_idx], T)
    ece = {
        name: expected_calibration_error(p.max(1), (p.argmax(1) == y[test_idx]).astype(float))
        for name, p in (("raw", raw), ("cal", cal))
    }
    assert T > 1.0
    assert ece["cal"] < ece["raw"]


def _fit_marked(eligible_every: int, **train: object) -> tuple[ContactClassifier, np.ndarray]:
    recs = tiny_records() * 3
    labels = {c: [r[c] for r in recs] for c in COLUMNS[2:]}
    rows = np.arange(len(recs)) % eligible_every == 0
    cfg = TrainConfig.model_validate({"train": {"validation_fraction": 0.34, **train}})
    texts = [r["text"] for r in recs]
    return ContactClassifier(config=cfg).fit(texts, labels, validation_rows=rows), rows


def test_holdout_drawn_only_from_validation_rows() -> None:
    clf, rows = _fit_marked(2)
    expected = int(np.ceil(0.34 * rows.sum()))
    assert clf.validation_metrics_["n"] == expected < len(rows) * 0.34


def test_cross_fitted_calibration_uses_only_validation_rows() -> None:
    clf, rows = _fit_marked(3, validation="cv", folds=3)
    assert clf.validation_metrics_["n"] == rows.sum() == 24


def test_too_few_validation_rows_is_a_clear_error() -> None:
    recs = tiny_records()
    labels = {c: [r[c] for r in recs] for c in COLUMNS[2:]}
    with pytest.raises(ConfigError, match="at least 2 are needed"):
        ContactClassifier().fit(
            [r["text"] for r in recs], labels, validation_rows=[False] * len(recs)
        )


def test_generated_rows_are_not_held_out_by_default(tmp_path: Path) -> None:
    from nlp_contact.training import load_sources, synth_source

    cfg = TrainConfig.model_validate({"synth": {"n": 60, "seed": 1, "weight": 0.5}})
    taxonomy = load_taxonomy()
    generated = synth_source(cfg, taxonomy)
    assert generated is not None and not generated[0].validation_rows.any()
    path = tmp_path / "real.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in tiny_records()), encoding="utf-8")
    from nlp_contact.config import SourceEntry

    data = load_sources([SourceEntry(path=str(path))], taxonomy, "text", extra=[generated])
    assert data.validation_rows is not None
    assert data.validation_rows.sum() == len(tiny_records())
    assert not data.validation_rows[: len(data) - len(tiny_records())].any()
