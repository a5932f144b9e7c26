"""Exceptions raised by nlp-contact.

The hierarchy, so callers can catch as broadly or narrowly as they need::

    NlpContactError
    ├── ConfigError (ValueError)             a setting or config file is wrong
    ├── TaxonomyError (ValueError)           a taxonomy file is wrong
    ├── DataValidationError (ValueError)     input data breaks the rules (carries every problem)
    ├── NotFittedError (ValueError, AttributeError)
    ├── ArtifactError (ValueError)           a model directory is missing, changed or unknown
    ├── BackendNotInstalledError (ImportError)
    └── ResumeError (ValueError)             a batch job cannot be resumed as asked

Messages say what was expected, what was found, and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass


class NlpContactError(Exception):
    """Base class of every error nlp-contact raises on purpose."""


class ConfigError(NlpContactError, ValueError):
    """A training or service setting is invalid."""


class TaxonomyError(NlpContactError, ValueError):
    """A taxonomy file or object is invalid."""


class NotFittedError(NlpContactError, ValueError, AttributeError):
    """The classifier was used before ``fit`` or ``load``."""


class ArtifactError(NlpContactError, ValueError):
    """A model directory cannot be loaded safely."""


class ResumeError(NlpContactError, ValueError):
    """A batch job cannot be resumed with the given model, input or options."""


class BackendNotInstalledError(NlpContactError, ImportError):
    """An optional backend was asked for but its libraries are not installed."""

    def __init__(self, backend: str, missing: str, extra: str) -> None:
        self.backend = backend
        self.missing = missing
        self.extra = extra
        super().__init__(
            f"The '{backend}' backend needs the Python package '{missing}', which is not "
            f"installed. Install it with: pip install 'nlp-contact[{extra}]'"
            + (" (this pins torch==2.13.0)" if extra == "transformers" else "")
        )


@dataclass(frozen=True)
class DataProblem:
    """One problem found in an input file: where it is and what is wrong."""

    source: str
    row: int | None
    column: str | None
    value: object
    message: str

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        shown = repr(self.value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        return f"{where}: {self.message} (found {shown})"


class DataValidationError(NlpContactError, ValueError):
    """Input data breaks the rules; ``problems`` lists every problem found (up to a cap)."""

    def __init__(self, problems: list[DataProblem], total: int | None = None) -> None:
        self.problems = problems
        self.total = total if total is not None else len(problems)
        lines = [str(p) for p in problems]
        more = self.total - len(problems)
        head = f"{self.total} problem{'s' if self.total != 1 else ''} found in the input data:"
        tail = [f"... and {more} more (only the first {len(problems)} are listed)"] if more else []
        super().__init__("\n".join([head, *("  - " + line for line in lines), *tail]))
