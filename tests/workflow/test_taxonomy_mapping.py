"""Mapping labelled data from an older taxonomy version: applied and validated."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nlp_contact.config import SourceEntry
from nlp_contact.errors import ConfigError, DataValidationError
from nlp_contact.taxonomy import load_taxonomy
from nlp_contact.taxonomy_mapping import LabelMap, label_map_from_dict, load_label_map
from nlp_contact.training import load_sources
from tests.conftest import tiny_records, write_records

TAX = load_taxonomy()
V0_MAP = """\
from_version: "0"
to_version: "1"
heads:
  feedback_type:
    moan: complaint
    praise: compliment
    unsure: null
"""


def _map(heads: dict[str, dict[str, str | None]]) -> LabelMap:
    return label_map_from_dict({"from_version": "0", "to_version": "1", "heads": heads}, TAX)


def test_renames_keeps_current_labels_and_drops_null_rows() -> None:
    m = _map({"feedback_type": {"moan": "complaint", "unsure": None}})
    df = pd.DataFrame(
        {"text": ["a", "b", "c", "d"], "feedback_type": ["moan", "none", "unsure", "moan"]}
    )
    out = m.apply(df)
    assert out["feedback_type"].tolist() == ["complaint", "none", "complaint"]
    assert out["text"].tolist() == ["a", "b", "d"]
    assert list(out.index) == [0, 1, 2]
    assert df["feedback_type"].tolist()[0] == "moan"  # the input is not modified


def test_unmapped_old_label_is_named_with_its_row_and_the_fix() -> None:
    m = _map({"feedback_type": {"moan": "complaint"}})
    df = pd.DataFrame({"feedback_type": ["none", "grumble"]})
    with pytest.raises(
        DataValidationError, match=r"row 2, column 'feedback_type'.*no mapping"
    ) as e:
        m.apply(df, source="old.csv")
    assert "add 'grumble: NEW_LABEL'" in str(e.value)
    assert "old.csv" in str(e.value)


def test_unknown_new_label_and_head_are_named() -> None:
    with pytest.raises(ConfigError, match=r"unknown label 'grumble'.*allowed: \['none'"):
        _map({"feedback_type": {"moan": "grumble"}})
    with pytest.raises(ConfigError, match=r"head 'mood' is not in the taxonomy"):
        _map({"mood": {"sad": "happy"}})


def test_version_must_be_the_taxonomys() -> None:
    with pytest.raises(ConfigError, match=r"maps to taxonomy version '2'.*is version '1'"):
        label_map_from_dict({"from_version": "1", "to_version": 2, "heads": {"x": {}}}, TAX)


def test_keys_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"missing \['to_version'\]; unknown \['labels'\]"):
        label_map_from_dict({"from_version": "0", "heads": {}, "labels": {}}, TAX)
    with pytest.raises(ConfigError, match="'heads' in the label map"):
        label_map_from_dict({"from_version": "0", "to_version": "1", "heads": {}}, TAX)


def test_yaml_file_and_unquoted_yaml_booleans(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(V0_MAP, encoding="utf-8")
    m = load_label_map(path, TAX)
    assert m.heads["feedback_type"] == {"moan": "complaint", "praise": "compliment", "unsure": None}
    path.write_text(V0_MAP + "    yes: complaint\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="old label True is not a string; quote it"):
        load_label_map(path, TAX)
    with pytest.raises(ConfigError, match="does not exist"):
        load_label_map(tmp_path / "nope.yaml", TAX)
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_label_map(path, TAX)


def test_training_sources_are_mapped_before_validation(tmp_path: Path) -> None:
    recs = tiny_records()
    for r in recs:
        r["feedback_type"] = {"complaint": "moan", "compliment": "praise"}.get(
            str(r["feedback_type"]), r["feedback_type"]
        )
    recs[0]["feedback_type"] = "unsure"
    data = write_records(recs, tmp_path / "old.jsonl")
    path = tmp_path / "map.yaml"
    path.write_text(V0_MAP, encoding="utf-8")
    with pytest.raises(DataValidationError, match="unknown label"):
        load_sources([SourceEntry(path=str(data))], TAX, "text")
    mapped = load_sources([SourceEntry(path=str(data))], TAX, "text", load_label_map(path, TAX))
    assert len(mapped) == len(recs) - 1
    assert set(mapped.labels["feedback_type"]) == {"none", "complaint", "compliment"}
