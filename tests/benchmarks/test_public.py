"""The public-benchmark loaders and script, on miniature synthetic copies of the layouts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

import _datasets as datasets  # noqa: E402
import public  # noqa: E402

INTENTS = {
    "card_arrival": [
        "where is my card",
        "my card has not arrived",
        "card still not here",
        "when will the card come",
        "card delivery is late",
        "no card in the post",
    ],
    "top_up_failed": [
        "top up failed",
        "my top-up did not work",
        "could not top up my account",
        "top up was declined",
        "the top up keeps failing",
        "topping up is broken",
    ],
    "lost_card": [
        "i lost my card",
        "my card is lost",
        "cannot find my card anywhere",
        "card was lost yesterday",
        "lost the card on holiday",
        "misplaced my card",
    ],
}
OOS = ["what is the weather", "tell me a joke", "who won the match", "play some music"]


def _lines(folder: Path, rows: list[tuple[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "seq.in").write_text("\n".join(t for t, _ in rows) + "\n", "utf-8")
    (folder / "label").write_text("\n".join(lab for _, lab in rows) + "\n", "utf-8")


def _rows(k: slice) -> list[tuple[str, str]]:
    return [(t, lab) for lab, texts in INTENTS.items() for t in texts[k]]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    b77 = tmp_path / "banking77"
    b77.mkdir()
    csv = "text,category\n" + "".join(f'"{t}",{lab}\n' for t, lab in _rows(slice(None)))
    (b77 / "train.csv").write_text(csv, "utf-8")
    (b77 / "test.csv").write_text(csv, "utf-8")
    for name in ("banking77", "clinc150"):
        few = tmp_path / name / "fewshot_jianguoz"
        _lines(few / "train_5", _rows(slice(0, 5)))
        _lines(few / "train_10", _rows(slice(None)))
        _lines(few / "valid", _rows(slice(4, 6)))
        _lines(few / "test", _rows(slice(3, 6)))
    for part in ("train", "valid", "test"):
        _lines(tmp_path / "clinc150" / "fewshot_jianguoz" / "oos" / part, [(t, "oos") for t in OOS])
    full = {"train": _rows(slice(0, 4)), "val": _rows(slice(4, 5)), "test": _rows(slice(5, 6))}
    full.update({f"oos_{k}": [(t, "oos") for t in OOS] for k in ("train", "val", "test")})
    (tmp_path / "clinc150" / "data_full.json").write_text(json.dumps(full), "utf-8")
    hwu = tmp_path / "hwu64"
    for part, k in [
        ("train", slice(0, 4)),
        ("valid", slice(4, 5)),
        ("test", slice(5, 6)),
        ("train_5", slice(0, 3)),
        ("train_10", slice(0, 4)),
    ]:
        _lines(hwu / part, _rows(k))
    return tmp_path


@pytest.mark.parametrize("name", datasets.DATASETS)
@pytest.mark.parametrize("setting", datasets.SETTINGS)
def test_every_loader_reads_its_layout(data_dir: Path, name: str, setting: str) -> None:
    bench = datasets.load(name, setting, data_dir)
    assert len(bench.train) and len(bench.val) and len(bench.test)
    assert set(bench.test.labels) <= set(bench.train.labels)
    assert (bench.oos_label == "oos") == (name == "clinc150" and setting == "full")


def test_banking77_full_trains_on_all_rows_and_tunes_on_a_held_out_part(data_dir: Path) -> None:
    bench = datasets.load("banking77", "full", data_dir)
    assert len(bench.train) == 18
    tune = bench.tuning_split()
    assert len(tune) + len(bench.val) == len(bench.train)
    assert not set(tune.texts) & set(bench.val.texts)


def test_missing_data_folder_says_what_to_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(datasets.ENV_VAR, raising=False)
    with pytest.raises(datasets.DataMissingError, match="Pass --data"):
        datasets.data_root(tmp_path / "nowhere")
    with pytest.raises(datasets.DataMissingError, match="is missing"):
        datasets.load("hwu64", "full", tmp_path)


def test_data_path_comes_from_the_environment(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(datasets.ENV_VAR, str(data_dir))
    assert datasets.data_root() == data_dir


def test_script_writes_a_markdown_table(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "public.md"
    code = public.main(
        [
            "--data",
            str(data_dir),
            "--only",
            "clinc150,hwu64",
            "--settings",
            "full,5-shot",
            "--out",
            str(out),
            "--short-queries",
            "200",
        ]
    )
    assert code == 0
    text = out.read_text("utf-8")
    assert text.count("| clinc150 |") == 2 and text.count("| hwu64 |") == 2
    assert "96.9 in-scope" in text


def test_script_reports_missing_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert public.main(["--data", str(tmp_path / "nowhere")]) == 2
    assert "Pass --data" in capsys.readouterr().err
