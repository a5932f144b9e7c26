"""The direct encoder gives the bytes pandas gives for the same columns (the output contract)."""

from __future__ import annotations

import io
import random

import pyarrow.parquet as pq
import pytest

from nlp_contact.batch.encode import columns_frame, encode_columns
from nlp_contact.batch.job import encode_part

TRICKY = [
    "plain",
    "a,b",
    'q"uote',
    '"',
    ",",
    "new\nline",
    "cr\rreturn",
    "crlf\r\n",
    " lead",
    "trail ",
    "",
    "ünïcødé €",
    "emoji 😀",
    "NaN",
    "None",
    "True",
    "1.0",
    "tab\there",
    "\\back",
]
ODD_FLOATS = [0.0, -0.0, float("inf"), 1.0, 0.5, 0.1, 0.0001, 0.9999, 1e-05, 5e-05, 1e16, 1e22]
TYPES = {
    "id": "string",
    "head": "string",
    "head_confidence": "float",
    "flag": "bool",
    "flag_probability": "float",
    "routing": "string",
    "needs_review": "bool",
    "error": "string",
}


def _column(kind: str, n: int, rng: random.Random, missing: float) -> list[object]:
    pool: list[object]
    if kind == "string":
        pool = TRICKY
    elif kind == "float":
        rounded = [round(rng.random(), 4) for _ in range(50)]
        pool = ODD_FLOATS + rounded + [rng.random() for _ in range(50)]
    else:
        pool = [True, False]
    return [None if rng.random() < missing else rng.choice(pool) for _ in range(n)]


def _columns(n: int, seed: int, missing: float) -> dict[str, list[object]]:
    rng = random.Random(seed)
    return {name: _column(kind, n, rng, missing) for name, kind in TYPES.items()}


def _pandas_bytes(columns: dict[str, list[object]], fmt: str) -> bytes:
    return encode_part(columns_frame(columns, list(TYPES)), fmt, TYPES)


CASES = [(0, 0.0), (1, 0.2), (2, 1.0), (3, 0.5)]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize(("seed", "missing"), CASES)
def test_text_formats_equal_pandas(fmt: str, seed: int, missing: float) -> None:
    columns = _columns(300, seed, missing)
    assert encode_columns(columns, fmt, TYPES) == _pandas_bytes(columns, fmt)


@pytest.mark.parametrize(("seed", "missing"), CASES)
def test_parquet_equals_pandas(seed: int, missing: float) -> None:
    columns = _columns(300, seed, missing)
    ours = pq.read_table(io.BytesIO(encode_columns(columns, "parquet", TYPES)))
    theirs = pq.read_table(io.BytesIO(_pandas_bytes(columns, "parquet")))
    assert ours.equals(theirs.cast(ours.schema))


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_no_rows(fmt: str) -> None:
    columns: dict[str, list[object]] = {name: [] for name in TYPES}
    ours = encode_columns(columns, fmt, TYPES)
    if fmt == "parquet":
        assert pq.read_table(io.BytesIO(ours)).num_rows == 0
    else:
        assert ours == _pandas_bytes(columns, fmt) == b""


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_nan_and_odd_ids_equal_pandas(fmt: str) -> None:
    columns = _columns(40, 7, 0.1)
    columns["head_confidence"][3] = float("nan")
    columns["id"] = [i if i % 3 else None for i in range(40)]  # pandas makes these floats
    assert encode_columns(columns, fmt, TYPES) == _pandas_bytes(columns, fmt)


def test_parquet_nan_is_null_as_with_pandas() -> None:
    columns = _columns(40, 8, 0.0)
    columns["flag_probability"][5] = float("nan")
    ours = pq.read_table(io.BytesIO(encode_columns(columns, "parquet", TYPES)))
    theirs = pq.read_table(io.BytesIO(_pandas_bytes(columns, "parquet")))
    assert ours.equals(theirs.cast(ours.schema))
    assert ours["flag_probability"].null_count == 1
