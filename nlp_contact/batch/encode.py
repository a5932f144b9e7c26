"""Encoding scored columns straight to part-file bytes, without building a DataFrame.

The bytes equal :func:`nlp_contact.batch.job.encode_part` of the DataFrame built from the
same columns (tests/batch/test_encode.py checks this against pandas). The direct path
covers the values scoring produces: ``str`` or None in string columns, ``float`` or None
in float columns, ``bool`` or None in bool columns. Anything else (e.g. int ids from a
JSONL input, which pandas would turn into floats next to a None) goes through pandas, and
so do Parquet parts with a missing id among string ids (pandas writes it as "nan").
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Callable
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from nlp_contact.batch.job import arrow_schema, encode_part

Columns = dict[str, list[Any]]
_PLAIN = {"string": str, "float": float, "bool": bool}
_JSON_STRING = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses
_EMPTY, _NULL = "", "null"
_BOOL_CSV = {True: "True", False: "False", None: _EMPTY}
_BOOL_JSON = {True: "true", False: "false", None: _NULL}


class _FloatText(dict[Any, str]):
    """A float's text (None's too) by lookup, remembered for a bounded number of values.

    Zeros are never remembered: 0.0 and -0.0 are equal keys with different texts.
    """

    def __init__(self, none: str, fmt: Callable[[float], str], limit: int = 100_000) -> None:
        super().__init__()
        self.none, self.fmt, self.limit = none, fmt, limit

    def __missing__(self, value: float | None) -> str:
        text = self.none if value is None else self.fmt(value)
        if value and len(self) < self.limit:
            self[value] = text
        return text


# a field with none of these is never quoted by the csv module (",", '"', line ends)
_CSV_SPECIAL = re.compile('[,"\r\n]').search


def encode_columns(columns: Columns, fmt: str, types: dict[str, str]) -> bytes:
    """A chunk's scored columns as the bytes of its part file (``fmt``: csv, jsonl, parquet)."""
    plain = _plain_columns(columns, types)
    if plain is None or (fmt == "parquet" and None in plain.get("id", ())):
        return encode_part(columns_frame(columns, list(types)), fmt, types)
    if fmt == "csv":
        return _csv_bytes(plain, types)
    if fmt == "jsonl":
        return _jsonl_bytes(plain, types)
    return _parquet_bytes(plain, types)


def columns_frame(columns: Columns, names: list[str]) -> pd.DataFrame:
    """The DataFrame of the columns (an empty chunk keeps the object columns of no rows)."""
    n_rows = len(next(iter(columns.values()))) if columns else 0
    return pd.DataFrame(columns if n_rows else [], columns=names)


def _plain_columns(columns: Columns, types: dict[str, str]) -> Columns | None:
    """The columns with NaN floats as None, or None when a value needs pandas' inference."""
    out: Columns = {}
    for name, typ in types.items():
        values = columns[name]
        if not set(map(type, values)) <= {_PLAIN[typ], type(None)}:
            return None
        out[name] = _nan_to_none(values) if typ == "float" else values
    return out


def _nan_to_none(values: list[Any]) -> list[Any]:
    if not any(map(math.isnan, filter(None, values))):
        return values
    return [None if v is None or v != v else v for v in values]


def _csv_bytes(columns: Columns, types: dict[str, str]) -> bytes:
    """Rows as pandas' ``to_csv`` writes them (the csv module's minimal quoting, None and
    NaN empty, floats by ``repr``, bools as ``True``/``False``), joined column-wise."""
    fields = [_csv_fields(values, types[name]) for name, values in columns.items()]
    if not fields or not fields[0]:
        return b""
    lines = os.linesep.join(map(",".join, zip(*fields, strict=True)))
    return (lines + os.linesep).encode("utf-8")


def _csv_fields(values: list[Any], typ: str) -> list[str]:
    """One column's CSV fields."""
    if typ == "bool":
        return list(map(_BOOL_CSV.__getitem__, values))
    if typ == "float":
        return list(map(_FLOAT_CSV.__getitem__, values))
    text = [_EMPTY if v is None else v for v in values]
    if not _CSV_SPECIAL("".join(text)):
        return text
    return [_quoted_field(v) if _CSV_SPECIAL(v) else v for v in text]


def _quoted_field(value: str) -> str:
    """A field as the csv module writes it (with the line terminator pandas uses)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=os.linesep, quoting=csv.QUOTE_MINIMAL).writerow([value])
    return buffer.getvalue()[: -len(os.linesep)]


def _jsonl_bytes(columns: Columns, types: dict[str, str]) -> bytes:
    """One ``json.dumps(row, ensure_ascii=False)`` line per row, built column-wise."""
    fields = [_json_fields(values, types[name]) for name, values in columns.items()]
    keys = [_JSON_STRING(name).replace("%", "%%") for name in columns]
    template = "{" + ", ".join(f"{key}: %s" for key in keys) + "}\n"
    lines = [template % row for row in zip(*fields, strict=True)]
    return "".join(lines).encode("utf-8")


def _json_fields(values: list[Any], typ: str) -> list[str]:
    """One column's JSON values."""
    if typ == "bool":
        return list(map(_BOOL_JSON.__getitem__, values))
    if typ == "float":
        return list(map(_FLOAT_JSON.__getitem__, values))
    return [_NULL if v is None else _JSON_STRING(v) for v in values]


def _json_float(value: float) -> str:
    return repr(value) if math.isfinite(value) else json.dumps(value)


_FLOAT_CSV = _FloatText(_EMPTY, repr)
_FLOAT_JSON = _FloatText(_NULL, _json_float)


def _parquet_bytes(columns: Columns, types: dict[str, str]) -> bytes:
    schema = arrow_schema(types)
    arrays = [pa.array(columns[field.name], type=field.type) for field in schema]
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), buffer)
    return buffer.getvalue()
