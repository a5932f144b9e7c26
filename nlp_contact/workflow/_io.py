"""Writing result tables as CSV, JSONL or Parquet, by the file's extension."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nlp_contact.data import file_format


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` to ``path`` (``.csv``, ``.jsonl`` or ``.parquet``); returns the path."""
    path = Path(path)
    fmt = file_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        df.to_csv(path, index=False)
    elif fmt == "parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_json(path, orient="records", lines=True, force_ascii=False)
    return path
