"""Progress for long scoring runs: a bar on a terminal, periodic log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

log = logging.getLogger("nlp_contact.batch")


class Progress:
    """Counts rows; shows rows done, rows/s and time left when the total is known.

    Args:
        total: expected rows (None when unknown).
        quiet: show nothing.
        every: seconds between log lines when not on a terminal.
    """

    def __init__(self, total: int | None, quiet: bool = False, every: float = 10.0) -> None:
        self.total = total
        self.quiet = quiet
        self.every = every
        self.done = 0
        self.read_rows = 0
        self.started = time.perf_counter()
        self._last_log = self.started
        self._bar: Any = None
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, unit="rows", unit_scale=True, desc="scoring", file=sys.stderr
            )

    def update(self, rows: int) -> None:
        self.done += rows
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.update(rows)
            return
        now = time.perf_counter()
        if now - self._last_log >= self.every:
            self._last_log = now
            log.info(self.line())

    def line(self) -> str:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        rate = self.done / elapsed
        text = f"scored {self.done:,} rows, {rate:,.0f} rows/s"
        if self.total:
            left = max(self.total - self.done, 0) / rate if rate else float("inf")
            text += f", {100 * self.done / self.total:.1f}% done, about {left:,.0f} s left"
        return text

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
