"""A scoring job's on-disk state: what makes ``--resume`` safe after ``kill -9``.

Beside the output ``OUT`` the job keeps ``OUT.job/``: ``job.json`` (model version and
sha256 of its manifest, input fingerprint, the options that decide the output) and one
part file per completed chunk, each written aside and renamed, so a part exists only
when it is complete. The final output is assembled from the parts into a temporary file
that is renamed to ``OUT``; then the job directory is removed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from nlp_contact.artifacts import MANIFEST_FILE, sha256_of
from nlp_contact.data import file_format
from nlp_contact.errors import ResumeError

JOB_FILE = "job.json"
FINGERPRINT_BYTES = 1 << 20


def input_fingerprint(path: Path) -> dict[str, Any]:
    """Size plus sha256 of the first and last MiB: cheap, and changes with any edit that
    changes the size or either end of the file."""
    size = path.stat().st_size
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        digest.update(fh.read(FINGERPRINT_BYTES))
        if size > FINGERPRINT_BYTES:
            fh.seek(max(size - FINGERPRINT_BYTES, FINGERPRINT_BYTES))
            digest.update(fh.read())
    return {"path": str(path.resolve()), "size": size, "sha256_ends": digest.hexdigest()}


@dataclass
class Job:
    """The state directory of one scoring run."""

    out: Path
    record: dict[str, Any]

    @property
    def directory(self) -> Path:
        return self.out.with_name(self.out.name + ".job")

    @property
    def fmt(self) -> str:
        return file_format(self.out)

    def part_path(self, index: int) -> Path:
        return self.directory / f"part-{index:08d}.{self.fmt}"

    def done(self) -> set[int]:
        """Indices of the chunks whose part file is complete."""
        if not self.directory.is_dir():
            return set()
        return {
            int(p.name.split("-")[1].split(".")[0])
            for p in self.directory.glob(f"part-*.{self.fmt}")
        }

    def start(self, resume: bool) -> set[int]:
        """Create or check the job directory; returns the chunks already done."""
        path = self.directory / JOB_FILE
        if resume and path.is_file():
            saved = json.loads(path.read_text("utf-8"))
            self._check_same(saved)
            return self.done()
        if self.directory.exists():
            shutil.rmtree(self.directory)
        self.directory.mkdir(parents=True)
        _atomic_text(path, json.dumps(self.record, indent=2))
        return set()

    def _check_same(self, saved: dict[str, Any]) -> None:
        for key, what in (
            ("model", "a different model"),
            ("input", "a different or changed input file"),
            ("options", "different options"),
        ):
            if saved.get(key) != self.record.get(key):
                raise ResumeError(
                    f"Cannot resume: the job in '{self.directory}' was started with {what} "
                    f"({key} recorded: {saved.get(key)}; now: {self.record.get(key)}). Run "
                    "the original command again with --resume, or drop --resume to start over."
                )

    def write_part(self, index: int, frame: pd.DataFrame, types: dict[str, str]) -> None:
        """Write one chunk's rows atomically."""
        self.write_part_bytes(index, encode_part(frame, self.fmt, types))

    def write_part_bytes(self, index: int, data: bytes) -> None:
        """Write one chunk's already encoded rows (:func:`encode_part`) atomically."""
        final = self.part_path(index)
        tmp = final.with_name(final.name + ".tmp")
        tmp.write_bytes(data)
        _fsync_replace(tmp, final)

    def assemble(self, n_chunks: int, types: dict[str, str]) -> None:
        """Concatenate the parts in order into ``out`` (written aside, then renamed)."""
        tmp = self.out.with_name(f".{self.out.name}.partial")
        parts = [self.part_path(i) for i in range(n_chunks)]
        if self.fmt == "parquet":
            _assemble_parquet(parts, tmp, arrow_schema(types))
        else:
            with tmp.open("wb") as dst:
                if self.fmt == "csv":
                    dst.write(pd.DataFrame(columns=list(types)).to_csv(index=False).encode("utf-8"))
                for part in parts:
                    with part.open("rb") as src:
                        shutil.copyfileobj(src, dst, 1 << 20)
        _fsync_replace(tmp, self.out)
        shutil.rmtree(self.directory, ignore_errors=True)


def encode_part(frame: pd.DataFrame, fmt: str, types: dict[str, str]) -> bytes:
    """A chunk's rows as the bytes of its part file (``fmt``: csv, jsonl or parquet).

    Scoring processes encode their own chunks, so that the process writing the output
    only copies bytes.
    """
    buffer = io.BytesIO()
    if fmt == "csv":
        frame.to_csv(buffer, index=False, header=False, encoding="utf-8")
    elif fmt == "jsonl":
        lines = (
            json.dumps(_jsonable(row), ensure_ascii=False) + "\n"
            for row in frame.to_dict(orient="records")
        )
        buffer.write("".join(lines).encode("utf-8"))
    else:
        if "id" in frame.columns:
            frame = frame.assign(id=[None if v is None else str(v) for v in frame["id"]])
        table = pa.Table.from_pandas(frame, schema=arrow_schema(types), preserve_index=False)
        pq.write_table(table, buffer)
    return buffer.getvalue()


def model_record(model_dir: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """What identifies the model for resumption."""
    return {
        "version": meta.get("model_version"),
        "manifest_sha256": sha256_of(model_dir / MANIFEST_FILE),
    }


_ARROW = {"string": pa.string(), "float": pa.float64(), "bool": pa.bool_()}


def arrow_schema(types: dict[str, str]) -> pa.Schema:
    """A fixed schema, so that parts with all-empty columns still concatenate."""
    return pa.schema([pa.field(col, _ARROW[typ]) for col, typ in types.items()])


def _assemble_parquet(parts: list[Path], tmp: Path, schema: pa.Schema) -> None:
    with pq.ParquetWriter(tmp, schema) as writer:
        for part in parts:
            writer.write_table(pq.read_table(part, schema=schema))


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in row.items():
        if isinstance(v, float) and v != v:
            v = None
        elif hasattr(v, "item"):
            v = v.item()
        out[k] = v
    return out


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    _fsync_replace(tmp, path)


def _fsync_replace(tmp: Path, final: Path) -> None:
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)
