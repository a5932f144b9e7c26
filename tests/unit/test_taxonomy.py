from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nlp_contact import TaxonomyError, load_taxonomy, taxonomy_from_columns

SHARED_TAXONOMY = Path(__file__).resolve().parents[3] / "shared" / "taxonomy.md"


def test_default_taxonomy_has_the_shared_heads_and_flags() -> None:
    tax = load_taxonomy()
    assert tax.head_names == ["contact_reason", "value_status", "avoidable_reason", "feedback_type"]
    assert tax.flag_names == ["staff_behaviour", "third_party", "vulnerability"]
    assert set(tax.derived) == {"routing", "priority"}
    assert tax.flags["vulnerability"].target_recall == 0.95


@pytest.mark.skipif(not SHARED_TAXONOMY.is_file(), reason="../shared/taxonomy.md not present")
def test_default_labels_match_shared_taxonomy_document() -> None:
    doc = SHARED_TAXONOMY.read_text()
    for head in load_taxonomy().heads.values():
        for label in head.labels:
            assert f"`{label}`" in doc


# feedback_type, staff_behaviour, vulnerability -> routing, priority (../shared/taxonomy.md)
ROUTING_TABLE = [
    ("complaint", False, False, "refer_to_crt", "normal"),
    ("complaint", True, True, "refer_to_crt", "urgent"),
    ("none", True, False, "refer_to_crt", "normal"),
    ("compliment", True, False, "refer_to_crt", "normal"),
    ("suggestion", True, False, "refer_to_crt", "normal"),
    ("issue", True, False, "resolve_at_source", "normal"),
    ("issue", False, False, "resolve_at_source", "normal"),
    ("compliment", False, False, "record_compliment", "normal"),
    ("suggestion", False, True, "record_suggestion", "urgent"),
    ("none", False, False, "no_feedback_action", "normal"),
    ("none", False, True, "no_feedback_action", "urgent"),
]


@pytest.mark.parametrize(("feedback", "staff", "vulnerable", "routing", "priority"), ROUTING_TABLE)
def test_routing_rule_table(
    feedback: str, staff: bool, vulnerable: bool, routing: str, priority: str
) -> None:
    tax = load_taxonomy()
    derived = tax.derive(
        {"feedback_type": feedback},
        {"staff_behaviour": staff, "third_party": False, "vulnerability": vulnerable},
    )
    assert derived == {"routing": routing, "priority": priority}


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "tax.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"heads": {"h": {"labels": {"only": ""}}}}, "at least two labels"),
        ({}, "at least one head or flag"),
        (
            {"heads": {"x": {"labels": {"a": "", "b": ""}}}, "flags": {"x": {}}},
            "both a head and a flag",
        ),
        (
            {
                "heads": {"a": {"labels": {"p": "", "q": ""}}},
                "constraints": [{"head": "a", "label": "zz", "iff_head": "a", "iff_label": "p"}],
            },
            "label 'zz' of head 'a'",
        ),
        (
            {
                "heads": {"a": {"labels": {"p": "", "q": ""}}},
                "derived": {
                    "r": {"rules": [{"when": {"nope": True}, "value": "v"}], "default": "d"}
                },
            },
            "tests 'nope' as a flag",
        ),
        ({"heads": {"a": {"labels": {"p": "", "q": ""}, "colour": 1}}}, "Extra inputs"),
    ],
)
def test_invalid_taxonomy_messages(tmp_path: Path, data: dict, message: str) -> None:
    with pytest.raises(TaxonomyError, match=message):
        load_taxonomy(_write(tmp_path, data))


def test_missing_and_unparsable_taxonomy_files(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="does not exist"):
        load_taxonomy(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("heads: [unclosed")
    with pytest.raises(TaxonomyError, match="cannot be parsed"):
        load_taxonomy(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    with pytest.raises(TaxonomyError, match="must hold a mapping"):
        load_taxonomy(listy)


def test_custom_taxonomy_round_trips(tmp_path: Path) -> None:
    tax = load_taxonomy()
    again = load_taxonomy(_write(tmp_path, tax.to_dict()))
    assert again == tax


def test_taxonomy_from_columns_uses_values_seen() -> None:
    tax = taxonomy_from_columns({"intent": ["b", "a", "b", None, ""]})
    assert tax.heads["intent"].label_names == ["a", "b"]
    assert tax.derived == {}
    with pytest.raises(TaxonomyError, match="at least two"):
        taxonomy_from_columns({"intent": ["a", "a"]})
