from pathlib import Path

import pytest

from nlp_contact import ConfigError, load_config
from nlp_contact.config import parse_overrides


def test_overrides_parse_json_values() -> None:
    assert parse_overrides(["--linear.C", "4", "--train.refit_full=false", "--x.y", "abc"]) == {
        "linear.C": 4,
        "train.refit_full": False,
        "x.y": "abc",
    }


def test_config_file_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[train]\nseed = 3\n[linear]\nC = 2.0\n")
    cfg = load_config(path, ["--linear.C", "8"])
    assert cfg.train.seed == 3 and cfg.linear["C"] == 8


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--train.validation_fraction", "1.5"],
            r"train.validation_fraction: .*less than 0.9 \(found 1.5\)",
        ),
        (["--train.backend", "forest"], "train.backend"),
        (["--nope.x", "1"], "nope"),
        (["C=4"], "Unexpected argument 'C=4'"),
    ],
)
def test_bad_settings_name_the_key(args: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(None, args)


def test_missing_or_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[train\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
