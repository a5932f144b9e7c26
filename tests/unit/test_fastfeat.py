"""The compiled fast path (nlp_contact._fastfeat) against the Python specification.

``nlp_contact.features`` is the specification: the C normaliser must return exactly what
``normalise`` returns (or decline the text), and the C featurizer the same CSR matrix as
the Python path, for corpora, generated texts and adversarial strings.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp_contact import ContactClassifier, fastfeat
from nlp_contact.features import TextFeaturizer, normalise

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "default"
CORPORA = [
    *sorted((ROOT / "training" / "data" / "handwritten").glob("*.jsonl")),
    ROOT / "training" / "data" / "dev" / "dev_handwritten.jsonl",
]
SYNTH_TEXTS = 20_000
MAX_FALLBACK = 0.01

pytestmark = pytest.mark.skipif(
    fastfeat._fastfeat is None,
    reason="nlp_contact._fastfeat is not built (pip install -e . with a C compiler)",
)


def _jsonl_texts(path: Path) -> list[str]:
    lines = path.read_text("utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return [t for path in CORPORA if path.is_file() for t in _jsonl_texts(path)]


@pytest.fixture(scope="module")
def synth_texts() -> list[str]:
    from nlp_contact.synth import generate

    return [r["text"] for r in generate(SYNTH_TEXTS, seed=11)]


@pytest.fixture(scope="module")
def default_model() -> ContactClassifier:
    if not (MODEL / "manifest.json").is_file():
        pytest.skip("models/default not built")
    return ContactClassifier.load(MODEL)


def _check_normalise(texts: list[str], masks: tuple[bool, ...] = (True, False)) -> int:
    """Asserts C == Python for every text the C normaliser accepts; returns how many it
    declined."""
    declined = 0
    for text in texts:
        for mask in masks:
            fast = fastfeat.normalise_one(text, mask)
            if fast is None:
                declined += 1
                continue
            assert fast == normalise(text, mask), (mask, text)
    return declined


def test_normalise_equal_on_handwritten_and_dev(corpus: list[str]) -> None:
    assert len(corpus) > 1000
    declined = _check_normalise(corpus)
    assert declined <= MAX_FALLBACK * 2 * len(corpus)


def test_normalise_equal_on_synth(synth_texts: list[str]) -> None:
    declined = _check_normalise(synth_texts, masks=(True,))
    assert declined <= MAX_FALLBACK * len(synth_texts)
    _check_normalise(synth_texts[:2000], masks=(False,))


PIECES = [
    *("Mr", "Mrs", "MRS", "Ms", "Miss", "Mx", "Dr", "Dr.", "mr.", "Sir", "Cllr", "Councillor"),
    *("my son", "My Son", "her mum", "the client", "our work coach", "your caseworker"),
    *("their gran", "the grandad", "his fiancee", "my son,", "Dear", "Hi", "hello", "HELLO"),
    *("John", "Sarah", "O'Brien", "O’Brien", "McDonald", "Smith-Jones", "And", "The", "Is"),
    *("I", "Which", "Madam", "Sirs", "DWP", "Team", "John Smith Jones", "Jo\nSmith"),
    *("3rd", "21st", "March", "mar", "sept", "Sep.", "MAY", "2024", "12/03/24", "1.2.2023"),
    *("31-12-99", "12/3/2024x", "3rd March 2024", "12 mar. 2023", "QQ123456C", "qq 12 34 56 c"),
    *("ab123456d", "£", "£ 5", "£1,000.50", "10 pounds", "5quid", "1.50 quid", "£.5"),
    *("a.b@x.com", "-x@y.co.uk-", "foo+bar@ex-ample.org.", "x@y", "@", "a@b.c-", "x@-.a"),
    *("http://x.y/z", "https://a", "www.site.com", "HTTP://X", "www.", "can't", "cant"),
    *("won't", "WONT", "don't", "I'm", "they're", "we've", "you'll", "he'd", "n't", "'", "`"),
    *("‘", "’", "“", "”", "é", "ß", "😀", "İ", "Σ", "ω", "–", "…", "\u00a0", "\u2003", "\x1c"),
    *("[PERSON]", "[PERSON_1]", "[DATE_12]", "[EMAIL]", "[PHONE_3]", "[NI_NUMBER]", "[A_]"),
    *("[AB_1]", "[X__2]", "[_]", "[", "]", "0800 123 4567", "07700-900123", "1234567"),
    *("ab12cd", "x1.y/z-", "a-1-b", "12345", "1", "_", "-", "/", "!", "?", "(", ")", ";"),
]
SEPARATORS = [" ", "", ", ", "  ", ".", "\n", "\t", " - "]
CHARS = "aAbBcCdDmMrRsStTnN0123456789 .,'-/@£:_[]!?()\u2019é\u00a0\t"


@st.composite
def tricky_texts(draw: st.DrawFn) -> str:
    parts = draw(
        st.lists(
            st.one_of(st.sampled_from(PIECES), st.text(alphabet=CHARS, max_size=6)),
            min_size=1,
            max_size=12,
        )
    )
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(parts), max_size=len(parts)))
    return "".join(p + s for p, s in zip(parts, seps, strict=True))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tricky_texts())
def test_normalise_equal_on_tricky_strings(text: str) -> None:
    _check_normalise([text])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_normalise_equal_on_arbitrary_unicode(text: str) -> None:
    _check_normalise([text, f"Mr {text} 12/03/24 my son John {text}"])


def test_every_non_ascii_character_is_declined_or_exact() -> None:
    """Each code point in a context that exercises \\w, \\b, \\s and case (a sample of
    every 7th code point, plus the ones the normaliser accepts specially)."""
    points = [*range(128, 0x3000), *range(0x3000, 0x110000, 97), 0xA3, 0x2018, 0x2019]
    texts = [f"Mr{chr(c)}Smith my son{chr(c)} John 12{chr(c)}3 can{chr(c)}t" for c in points[::7]]
    _check_normalise(texts)


def _assert_same_csr(python: sp.csr_matrix, fast: sp.csr_matrix) -> None:
    python = python.tocsr()
    python.sort_indices()
    assert python.shape == fast.shape
    assert fast.dtype == np.float32
    np.testing.assert_array_equal(python.indptr, fast.indptr)
    np.testing.assert_array_equal(python.indices, fast.indices)
    np.testing.assert_allclose(python.data, fast.data, rtol=0, atol=1e-6)


def _both_paths(
    featurizer: TextFeaturizer, texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    with monkeypatch.context() as m:
        m.setenv(fastfeat.PURE_PYTHON_ENV, "1")
        assert featurizer._fast_blocks() is None
        python = featurizer.transform(texts)
    assert featurizer._fast_blocks() is not None
    return python, featurizer.transform(texts)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"word_ngram_range": (1, 3), "char_ngram_range": (1, 4), "char_weight": 0.7},
        {"word_ngram_range": (2, 2), "char_ngram_range": (4, 6), "sublinear_tf": False},
        {"char_ngram_range": None, "mask_entities": False},
    ],
)
def test_features_equal_for_fitted_featurizer(
    corpus: list[str], params: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    featurizer = TextFeaturizer(min_df=1, **params).fit(corpus[:400])
    texts = corpus[:1500] + ["", "  ", "é!?", "Mr Smith!!! x" * 3, "a " * 300]
    _assert_same_csr(*_both_paths(featurizer, texts, monkeypatch))


def test_features_equal_for_default_model(
    default_model: ContactClassifier,
    corpus: list[str],
    synth_texts: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    featurizer = default_model.backend_.featurizer_
    _assert_same_csr(*_both_paths(featurizer, corpus[::2] + synth_texts[:1500], monkeypatch))


def test_predictions_equal_for_default_model(
    default_model: ContactClassifier,
    corpus: list[str],
    synth_texts: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = synth_texts[:2000] + corpus[:500]
    with monkeypatch.context() as m:
        m.setenv(fastfeat.PURE_PYTHON_ENV, "1")
        python = default_model.predict_labels(texts)
    fast = default_model.predict_labels(texts)
    for name, probs in python["probs"].items():
        np.testing.assert_allclose(fast["probs"][name], probs, rtol=0, atol=1e-6)
    for name, labels in python["pred"].items():
        np.testing.assert_array_equal(fast["pred"][name], labels)


def test_fallback_rate_under_one_percent(
    default_model: ContactClassifier, corpus: list[str], synth_texts: list[str]
) -> None:
    fast = fastfeat.NgramBlocks(default_model.backend_.featurizer_.blocks_, True)
    fast.transform(corpus + synth_texts, True, 1.0, normalise)
    assert fast.texts_seen == len(corpus) + len(synth_texts)
    assert fast.fallbacks / fast.texts_seen < MAX_FALLBACK


def test_normalise_all_uses_fallback_for_declined_texts(corpus: list[str]) -> None:
    featurizer = TextFeaturizer()
    texts = ["Café for Mr Smith on 3rd March", "İstanbul", *corpus[:50]]
    assert fastfeat.normalise_one(texts[0]) is None
    assert featurizer.normalise_all(texts) == [normalise(t) for t in texts]


def test_bad_values_raise_like_python(corpus: list[str]) -> None:
    featurizer = TextFeaturizer(min_df=1).fit(corpus[:50])
    with pytest.raises(TypeError):
        normalise(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        featurizer.transform(["fine", None])  # type: ignore[list-item]
    assert featurizer.transform(["still fine"]).shape[0] == 1  # no state left behind


def test_pickled_featurizer_rebuilds_its_tables(corpus: list[str]) -> None:
    featurizer = TextFeaturizer(min_df=1).fit(corpus[:200])
    before = featurizer.transform(corpus[:100])
    copy = pickle.loads(pickle.dumps(featurizer))
    assert "_fast" not in copy.__dict__
    _assert_same_csr(before, copy.transform(corpus[:100]))


def test_loaded_model_scores_without_scikit_learn() -> None:
    """Loading a saved model and scoring imports neither scikit-learn nor scipy.sparse
    when the C extension is present."""
    import subprocess
    import sys

    if not (MODEL / "manifest.json").is_file():
        pytest.skip("models/default not built")
    code = (
        "import sys; from nlp_contact.classifier import ContactClassifier; "
        f"clf = ContactClassifier.load({str(MODEL)!r}); clf.predict_labels(['my pip claim']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"
