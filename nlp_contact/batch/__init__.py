"""Batch scoring at scale: streaming, parallel, resumable, local or on Dask."""

from nlp_contact.batch.runner import ScoreSummary, score_file

__all__ = ["ScoreSummary", "score_file"]
