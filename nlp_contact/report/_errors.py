"""The report's error: an input that cannot be reported on as given."""

from __future__ import annotations

from nlp_contact.errors import NlpContactError


class ReportInputError(NlpContactError, ValueError):
    """A scored or audit file lacks a column, or holds values the report cannot read.

    The message names the file, the column and the fix; the CLI exits 2.
    """
