"""The avoidable-contact report: ``nlp-contact report SCORED --out DIR``.

From a scored file (``nlp-contact score --probabilities``) it estimates what managers
publish: the share of avoidable contact overall, by contact reason, by avoidable reason,
by channel and by period, and the counts of complaints, compliments, staff-behaviour
referrals, third-party and vulnerable contacts. Which heads, labels, flags and derived
values these are comes from the taxonomy's ``report:`` section.

Numbers are expected counts from the calibrated probabilities with 95% intervals; with a
labelled audit sample they are also corrected for the model's measured error. Modules:

- :mod:`~nlp_contact.report.build`: :func:`build_report`, the whole report;
- :mod:`~nlp_contact.report.estimate`: the statistics (intervals, Rogan-Gladen, bootstrap);
- :mod:`~nlp_contact.report.audit`: reading the audit sample;
- :mod:`~nlp_contact.report.html`: the HTML page and its charts.
"""

from nlp_contact.report._errors import ReportInputError
from nlp_contact.report.build import (
    REPORT_CSV,
    REPORT_HTML,
    SUMMARY_JSON,
    build_report,
    report_taxonomy,
)

__all__ = [
    "REPORT_CSV",
    "REPORT_HTML",
    "SUMMARY_JSON",
    "ReportInputError",
    "build_report",
    "report_taxonomy",
]
