"""The transformer backend: overfit, save/reload, windows, calibration, ONNX parity.

Every model here is tiny (one layer, width 32, a ~300-piece WordPiece vocabulary) and
built in the test; nothing is downloaded.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("onnxruntime")

from nlp_contact import BackendNotInstalledError, ConfigError, ContactClassifier, TrainConfig  # noqa: E402
from nlp_contact.backends._torch_tokens import split_windows  # noqa: E402
from nlp_contact.backends.hf_transformers import (  # noqa: E402
    ONNX_ENV,
    ONNX_FILE,
    STATE_FILE,
    TOKENIZER_FILE,
    WEIGHTS_FILE,
    OnnxRunner,
    TransformerBackend,
)
from nlp_contact.calibration import apply_platt, apply_temperature  # noqa: E402
from tests.backends.conftest import (  # noqa: E402
    FLAGS,
    HEADS,
    label_index,
    long_letter,
    tiny_texts_and_targets,
)
from tests.conftest import COLUMNS, tiny_records  # noqa: E402

TINY = {
    "hidden_size": 32,
    "num_layers": 1,
    "num_heads": 2,
    "intermediate_size": 64,
    "vocab_size": 300,
    "window": 32,
    "stride": 8,
    "epochs": 30,
    "batch_size": 8,
    "learning_rate": 0.01,
    "validation_fraction": 0.0,
    "progress": False,
    "num_threads": 1,
}
PROBES = [
    "cust rang chasing UC payment not arrived",
    "I want to start a new claim for Universal Credit",
    "thanks so much, your staff were brilliant",
    "writing on behalf of my constituent about her claim",
]
# Contacts in none of the training texts: the parity test set. int8 dynamic quantisation
# moves the calibrated probabilities of the tiny test model by less than 0.01 here; the
# stated tolerance is 0.03 and the labels must not change.
PARITY_SET = PROBES + [
    "Please can you tell me when my ESA decision will be made",
    "I would like to claim Pension Credit for my mother",
    "The man on the phone was very rude to me and I want to complain",
    "I started a new job on Monday and need to tell you",
    "Why was fifty pounds taken off my payment this month",
    "Wonderful help from the lady at the jobcentre, thank you",
    "I am calling for my client from Citizens Advice about her claim",
    "I have no money left for food or electricity",
]
ONNX_PROB_TOLERANCE = 0.03


@pytest.fixture(scope="module")
def fitted() -> TransformerBackend:
    """Overfit on the 24 contacts and three letters of neutral filler (so that the model
    has seen text that says nothing, as any real model has)."""
    texts, targets = tiny_texts_and_targets(neutral=3)
    return TransformerBackend(**TINY).fit(texts, targets)


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A classifier trained through ContactClassifier and saved with an ONNX export."""
    recs = tiny_records() * 3
    labels = {c: [r[c] for r in recs] for c in COLUMNS[2:]}
    cfg = TrainConfig.model_validate(
        {
            "train": {"backend": "transformer", "validation_fraction": 0.34, "refit_full": False},
            "transformer": {**TINY, "export": "onnx"},
        }
    )
    clf = ContactClassifier(config=cfg).fit([r["text"] for r in recs], labels)
    return clf.save(tmp_path_factory.mktemp("transformer") / "model")


def _labels(scores: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v.argmax(axis=1) if v.ndim == 2 else v > 0 for k, v in scores.items()}


def test_overfits_a_handful_of_contacts(fitted: TransformerBackend) -> None:
    texts, targets = tiny_texts_and_targets(neutral=3)
    labels = _labels(fitted.decision_scores(texts))
    for head in HEADS:
        assert np.mean(labels[head] == targets.heads[head]) >= 0.95, head
    for flag in FLAGS:
        assert np.mean(labels[flag] == targets.flags[flag]) >= 0.95, flag
    assert fitted.history_[-1]["loss"] < fitted.history_[0]["loss"] / 10


def test_save_reload_identical_and_batch_equals_single(
    fitted: TransformerBackend, tmp_path: Path
) -> None:
    files = fitted.save(tmp_path)
    assert files == [WEIGHTS_FILE, TOKENIZER_FILE, STATE_FILE]
    assert not (tmp_path / ONNX_FILE).exists()
    assert b"pickle" not in (tmp_path / STATE_FILE).read_bytes()
    again = TransformerBackend.load(tmp_path, fitted.params())
    before, after = fitted.decision_scores(PROBES), again.decision_scores(PROBES)
    for name in before:
        np.testing.assert_array_equal(before[name], after[name])
    single = [again.decision_scores([t]) for t in PROBES]
    for name in after:
        joined = np.concatenate([np.atleast_1d(s[name]) for s in single])
        np.testing.assert_allclose(joined.reshape(after[name].shape), after[name], atol=1e-5)


def test_windows_overlap_and_always_reach_the_end() -> None:
    ids = list(range(100, 200))
    windows = split_windows(ids, window=12, stride=4, max_windows=64, cls=1, sep=2)
    assert all(len(w) <= 12 and w[0] == 1 and w[-1] == 2 for w in windows)
    assert list(windows[1][1:5]) == list(windows[0][-5:-1])  # 4 shared tokens
    assert windows[-1][-2] == 199
    capped = split_windows(ids, window=12, stride=4, max_windows=3, cls=1, sep=2)
    assert len(capped) == 3 and capped[0][1] == 100 and capped[-1][-2] == 199


def test_decisive_sentence_at_the_end_of_a_long_letter_is_found(
    fitted: TransformerBackend,
) -> None:
    letter = long_letter(3000)
    assert len(fitted._windows([letter])[0]) == TINY.get("max_windows", 64)
    scores = fitted.decision_scores([letter, long_letter(3000, ending="")])
    complaint = label_index("feedback_type", "complaint")
    assert scores["feedback_type"][0].argmax() == complaint
    assert scores["feedback_type"][1].argmax() != complaint


def test_explain_by_occlusion_names_words_of_the_text(fitted: TransformerBackend) -> None:
    text = "Complaint: staff member shouted at me, escalate to CRT"
    terms = fitted.explain(text, "feedback_type", label_index("feedback_type", "complaint"), 3)
    assert 0 < len(terms) <= 3 and all(t.term in text.lower() and t.weight > 0 for t in terms)


def test_thresholds_and_calibration_apply_through_the_classifier(classifier_dir: Path) -> None:
    clf = ContactClassifier.load(classifier_dir)
    assert isinstance(clf.backend_.runner_, OnnxRunner)  # what `score` and the service get
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
    for i, pred in enumerate(clf.predict(PROBES)):
        for flag in FLAGS:
            assert pred.flags[flag].value == (probs[flag][i] >= cal.flag_threshold[flag])
    manifest = json.loads((classifier_dir / "manifest.json").read_text())["sha256"]
    assert {ONNX_FILE, WEIGHTS_FILE, TOKENIZER_FILE, STATE_FILE} <= set(manifest)


def test_onnx_parity_with_pytorch(classifier_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Probabilities agree within tolerance; labels agree wherever the decision is not a tie."""
    test_set = PARITY_SET
    onnx = ContactClassifier.load(classifier_dir)
    monkeypatch.setenv(ONNX_ENV, "0")
    torch_clf = ContactClassifier.load(classifier_dir)
    assert not isinstance(torch_clf.backend_.runner_, OnnxRunner)
    pa, pb = onnx.predict_proba(test_set), torch_clf.predict_proba(test_set)
    for name in pa:
        np.testing.assert_allclose(pa[name], pb[name], rtol=0, atol=ONNX_PROB_TOLERANCE)
    a, b = onnx.predict(test_set), torch_clf.predict(test_set)
    decided = 0
    for i, (ra, rb) in enumerate(zip(a, b, strict=True)):
        for head, p in rb.heads.items():
            top2 = np.sort(pb[head][i])[-2:]
            if top2[1] - top2[0] > 2 * ONNX_PROB_TOLERANCE:  # not a near-tie
                assert ra.heads[head].label == p.label
                decided += 1
        for flag, p in rb.flags.items():
            if abs(pb[flag][i] - p.threshold) > 2 * ONNX_PROB_TOLERANCE:
                assert ra.flags[flag].value == p.value
                decided += 1
    assert decided >= len(test_set) * 2  # most decisions are clear and were compared


def test_local_checkpoint_directory_as_base_model(tmp_path: Path) -> None:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    texts, targets = tiny_texts_and_targets()
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(
        texts, trainers.WordPieceTrainer(vocab_size=200, special_tokens=special)
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    fast.save_pretrained(tmp_path / "ckpt")
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=40,
    )
    BertModel(config).save_pretrained(tmp_path / "ckpt")
    params = {**TINY, "base_model": str(tmp_path / "ckpt"), "epochs": 2}
    backend = TransformerBackend(**params).fit(texts, targets)
    assert backend.special_ == {"pad": 0, "cls": 2, "sep": 3}
    assert backend.decision_scores(texts[:2])["contact_reason"].shape == (2, 11)
    (tmp_path / "out").mkdir()
    backend.save(tmp_path / "out")
    again = TransformerBackend.load(tmp_path / "out", backend.params())
    np.testing.assert_array_equal(
        again.decision_scores(PROBES)["vulnerability"],
        backend.decision_scores(PROBES)["vulnerability"],
    )
    with pytest.raises(ConfigError, match="longer than the checkpoint's max_position_embeddings"):
        TransformerBackend(**{**params, "window": 64}).fit(texts, targets)


def test_bad_settings_fail_before_training() -> None:
    texts, targets = tiny_texts_and_targets()
    with pytest.raises(ConfigError, match="transformer.stride must be >= 0 and below window - 2"):
        TransformerBackend(window=16, stride=14).fit(texts, targets)
    with pytest.raises(ConfigError, match="is not a directory"):
        TransformerBackend(base_model="bert-base-uncased").fit(texts, targets)
    with pytest.raises(ConfigError, match="transformer.export must be unset or 'onnx'"):
        TransformerBackend(export="tflite").fit(texts, targets)


@pytest.mark.parametrize("module", ["torch", "transformers"])
def test_missing_extra_names_the_pip_command(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    texts, targets = tiny_texts_and_targets()
    with pytest.raises(BackendNotInstalledError) as err:
        TransformerBackend().fit(texts, targets)
    assert str(err.value) == (
        f"The 'transformer' backend needs the Python package '{module}', which is not "
        "installed. Install it with: pip install 'nlp-contact[transformers]' "
        "(this pins torch==2.13.0)"
    )


def test_onnx_model_loads_without_torch(
    classifier_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "transformers", None)
    clf = ContactClassifier.load(classifier_dir)
    assert clf.predict(PROBES)[0].heads["contact_reason"].label
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(BackendNotInstalledError, match="'onnxruntime'"):
        ContactClassifier.load(classifier_dir)


def test_cli_base_model_and_export_options_become_backend_overrides() -> None:
    from nlp_contact.cli.core import _model_options
    from nlp_contact.config import load_config

    cfg = load_config(None, ["--train.backend", "transformer"])
    assert _model_options(cfg, "scratch", "onnx") == [
        "--transformer.base_model",
        "scratch",
        "--transformer.export",
        "onnx",
    ]
    spacy_cfg = load_config(None, ["--train.backend", "spacy"])
    assert _model_options(spacy_cfg, "en_core_web_sm", None) == [
        "--spacy.base_model",
        "en_core_web_sm",
    ]
    with pytest.raises(ConfigError, match="--export applies to the transformer backend"):
        _model_options(spacy_cfg, None, "onnx")
    with pytest.raises(ConfigError, match="--base-model applies to the spacy and transformer"):
        _model_options(load_config(), "scratch", None)
