"""The optional embedding feature block, with a stub encoder (no model, no torch needed)."""

from __future__ import annotations

import builtins
from pathlib import Path

import numpy as np
import pytest

from nlp_contact.backends import _embeddings
from nlp_contact.errors import BackendNotInstalledError, ConfigError
from nlp_contact.features import TextFeaturizer

TEXTS = ["where is my card", "top up failed", "card not here", "cannot top up"]


class StubEncoder:
    dim = 3

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.array([[len(t), t.count("card"), 1.0] for t in texts], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_a_folder_without_config_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="has no config.json"):
        _embeddings.model_path(tmp_path)


def test_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(_embeddings.ENV_VAR, raising=False)
    real_import = builtins.__import__

    def fake_import(name: str, *args: object, **kwargs: object) -> object:
        if name == _embeddings.PACKAGE:
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(BackendNotInstalledError, match=r"nlp-contact\[embeddings\]"):
        _embeddings.model_path()


def test_default_featurizer_has_no_embedding_block() -> None:
    feats = TextFeaturizer(min_df=1).fit(TEXTS)
    assert feats.encoder_ is None
    assert all(kind != "embedding" for kind, _ in feats.feature_names())
    assert feats.params()["embeddings"] is None


def test_embedding_block_is_appended_and_weighted(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = TextFeaturizer(min_df=1).fit(TEXTS).transform(TEXTS)
    stub = lambda self: setattr(self, "encoder_", StubEncoder())  # noqa: E731
    monkeypatch.setattr(TextFeaturizer, "_set_encoder", stub)
    feats = TextFeaturizer(min_df=1, embeddings="minilm", embedding_weight=2.0).fit(TEXTS)
    X = feats.transform(TEXTS)
    assert X.shape == (len(TEXTS), plain.shape[1] + 3) == (len(TEXTS), feats.n_features_)
    dense = X[:, -3:].toarray()
    np.testing.assert_allclose(np.linalg.norm(dense, axis=1), 2.0, rtol=1e-5)
    assert feats.feature_names()[-1] == ("embedding", "dim2")
