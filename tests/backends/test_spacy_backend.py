"""The spaCy backend: overfit, save/reload, batch = single, calibration, long letters, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

spacy = pytest.importorskip("spacy")

from nlp_contact import BackendNotInstalledError, ConfigError, ContactClassifier, TrainConfig  # noqa: E402
from nlp_contact.backends.spacy_textcat import (  # noqa: E402
    CONFIG_FILE,
    PIPELINE_DIR,
    SpacyBackend,
    _repeats,
)
from nlp_contact.calibration import apply_platt, apply_temperature  # noqa: E402
from tests.backends.conftest import (  # noqa: E402
    DECISIVE,
    FLAGS,
    HEADS,
    label_index,
    long_letter,
    tiny_texts_and_targets,
)
from tests.conftest import COLUMNS, tiny_records, write_records  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TINY = {"epochs": 12, "validation_fraction": 0.0, "progress": False}
PROBES = [
    "cust rang chasing UC payment not arrived",
    "I want to start a new claim for Universal Credit",
    "thanks so much, your staff were brilliant",
    "writing on behalf of my constituent about her claim",
]


@pytest.fixture(scope="module")
def fitted() -> SpacyBackend:
    texts, targets = tiny_texts_and_targets()
    return SpacyBackend(**TINY).fit(texts, targets)


def test_overfits_a_handful_of_contacts(fitted: SpacyBackend) -> None:
    texts, targets = tiny_texts_and_targets()
    scores = fitted.decision_scores(texts)
    for head in HEADS:
        assert scores[head].shape == (len(texts), len(targets.head_labels[head]))
        np.testing.assert_array_equal(scores[head].argmax(axis=1), targets.heads[head])
    for flag in FLAGS:
        np.testing.assert_array_equal(scores[flag] > 0, targets.flags[flag])
    assert fitted.history_[-1]["loss"] < fitted.history_[0]["loss"]


def test_save_reload_identical_and_batch_equals_single(
    fitted: SpacyBackend, tmp_path: Path
) -> None:
    files = fitted.save(tmp_path)
    assert CONFIG_FILE in files and f"{PIPELINE_DIR}/config.cfg" in files
    assert all((tmp_path / name).is_file() for name in files)
    again = SpacyBackend.load(tmp_path, fitted.params())
    before, after = fitted.decision_scores(PROBES), again.decision_scores(PROBES)
    for name in before:
        np.testing.assert_array_equal(before[name], after[name])
    single = [again.decision_scores([t]) for t in PROBES]
    for name in after:
        np.testing.assert_allclose(
            np.concatenate([s[name] for s in single]), after[name], rtol=0, atol=1e-6
        )


def test_saved_pipeline_is_plain_spacy(fitted: SpacyBackend, tmp_path: Path) -> None:
    fitted.save(tmp_path)
    nlp = spacy.load(tmp_path / PIPELINE_DIR)
    assert nlp.get_pipe_meta("textcat_contact_reason").factory == "textcat"
    assert nlp.get_pipe_meta("textcat_flags").factory == "textcat_multilabel"
    cats = nlp("Cust rang chasing UC payment, not arrived yet").cats
    assert (
        max((k for k in cats if k.startswith("contact_reason:")), key=cats.__getitem__)
        == "contact_reason:progress_chasing"
    )
    cfg = spacy.util.load_config(tmp_path / CONFIG_FILE, interpolate=False)
    assert cfg["training"]["max_epochs"] == TINY["epochs"]
    assert cfg["components"]["textcat_feedback_type"]["factory"] == "textcat"
    labels = cfg["initialize"]["components"]["textcat_value_status"]["labels"]
    assert labels == ["value_status:value", "value_status:avoidable"]
    rebuilt = spacy.util.load_model_from_config(cfg, auto_fill=True)
    assert rebuilt.pipe_names == nlp.pipe_names


def test_decisive_sentence_at_the_end_of_a_long_letter_is_found(fitted: SpacyBackend) -> None:
    letter = long_letter(3000)
    assert len(letter.split()) > 3000 and letter.rstrip(".").endswith(DECISIVE)
    scores = fitted.decision_scores([letter, long_letter(3000, ending="")])
    complaint = label_index("feedback_type", "complaint")
    assert scores["feedback_type"][0].argmax() == complaint
    assert scores["feedback_type"][1].argmax() != complaint


def test_explain_by_occlusion_names_words_of_the_text(fitted: SpacyBackend) -> None:
    text = "Complaint: staff member shouted at me, escalate to CRT"
    terms = fitted.explain(text, "feedback_type", label_index("feedback_type", "complaint"), 3)
    assert 0 < len(terms) <= 3
    assert all(t.weight > 0 and t.term in text.lower() for t in terms)
    assert [t.weight for t in terms] == sorted((t.weight for t in terms), reverse=True)


def test_thresholds_and_calibration_apply_through_the_classifier(tmp_path: Path) -> None:
    recs = tiny_records() * 3
    labels = {c: [r[c] for r in recs] for c in COLUMNS[2:]}
    cfg = TrainConfig.model_validate(
        {
            "train": {"backend": "spacy", "validation_fraction": 0.34},
            "spacy": TINY,
        }
    )
    clf = ContactClassifier(config=cfg).fit([r["text"] for r in recs], labels)
    cal = clf.calibration_
    assert set(cal.temperature) == set(HEADS) and set(cal.flag_threshold) == set(FLAGS)
    scores = clf.backend_.decision_scores(PROBES)
    probs = clf.predict_proba(PROBES)
    for head in ("contact_reason", "feedback_type"):  # not tied by a constraint
        np.testing.assert_allclose(
            probs[head], apply_temperature(scores[head], cal.temperature[head])
        )
    for flag in FLAGS:
        np.testing.assert_allclose(probs[flag], apply_platt(scores[flag], *cal.platt[flag]))
    for pred, i in zip(clf.predict(PROBES), range(len(PROBES)), strict=True):
        for flag in FLAGS:
            assert pred.flags[flag].value == (probs[flag][i] >= cal.flag_threshold[flag])
    clf.save(tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())["sha256"]
    assert f"{PIPELINE_DIR}/meta.json" in manifest and CONFIG_FILE in manifest
    again = ContactClassifier.load(tmp_path / "m")
    assert [p.to_dict() for p in again.predict(PROBES)] == [
        p.to_dict() for p in clf.predict(PROBES)
    ]


def test_sample_weights_become_repeated_rows() -> None:
    np.testing.assert_array_equal(_repeats(None, 3, 4), [1, 1, 1])
    np.testing.assert_array_equal(_repeats(np.array([1.0, 2.0, 0.5, 10.0]), 4, 4), [2, 4, 1, 4])


def test_ensemble_with_a_local_base_pipeline(tmp_path: Path) -> None:
    base = spacy.blank("en")
    base.add_pipe("sentencizer")
    base.to_disk(tmp_path / "base")
    texts, targets = tiny_texts_and_targets()
    backend = SpacyBackend(
        **{**TINY, "epochs": 3},
        base_model=str(tmp_path / "base"),
        architecture="ensemble",
        width=16,
        embed_rows=500,
    ).fit(texts, targets)
    assert backend.nlp_.pipe_names[:2] == ["sentencizer", "textcat_tok2vec"]
    assert 'frozen_components = ["sentencizer"]' in backend.config_text_
    assert backend.decision_scores(texts[:2])["contact_reason"].shape == (2, 11)


def test_bad_settings_fail_before_training() -> None:
    texts, targets = tiny_texts_and_targets()
    with pytest.raises(ConfigError, match="spacy.architecture must be one of"):
        SpacyBackend(architecture="cnn").fit(texts, targets)
    with pytest.raises(
        ConfigError, match="spacy.base_model 'no_such_pipeline' could not be loaded"
    ):
        SpacyBackend(base_model="no_such_pipeline").fit(texts, targets)


def test_missing_spacy_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "spacy", None)
    texts, targets = tiny_texts_and_targets()
    with pytest.raises(BackendNotInstalledError, match=r"pip install 'nlp-contact\[spacy\]'"):
        SpacyBackend().fit(texts, targets)
    with pytest.raises(ImportError, match="'spacy' backend needs the Python package 'spacy'"):
        SpacyBackend.load(Path("."), {})


def test_cli_train_backend_spacy_end_to_end(tmp_path: Path) -> None:
    data = write_records(tiny_records() * 3, tmp_path / "train.jsonl")
    out = tmp_path / "model"
    args = [
        "train",
        str(data),
        "--backend",
        "spacy",
        "--out",
        str(out),
        "--train.validation_fraction",
        "0.34",
        "--spacy.epochs",
        "8",
        "--spacy.progress",
        "false",
    ]
    run = [sys.executable, "-m", "nlp_contact"]
    res = subprocess.run(run + args, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr
    assert set(json.loads(res.stdout)["validation"]["heads"]) == set(HEADS)
    assert (out / PIPELINE_DIR / "config.cfg").is_file() and (out / CONFIG_FILE).is_file()
    res = subprocess.run(
        run
        + ["classify", "cust wants to make a new claim for Pension Credit", "--model", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    pred = json.loads(res.stdout)
    assert pred["model"]["backend"] == "spacy"
    assert pred["heads"]["contact_reason"]["label"] == "new_claim"
