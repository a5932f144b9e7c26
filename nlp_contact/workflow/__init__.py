"""The data scientists' workflow: reports, cross-validation, label issues, what to label
next, and the champion/challenger promotion gate.

Each module is a set of plain functions behind one ``nlp-contact`` command:

- :mod:`~nlp_contact.workflow.report`: ``evaluate --report DIR`` (HTML report and PNGs);
- :mod:`~nlp_contact.workflow.crossval`: ``cross-validate`` (out-of-fold predictions);
- :mod:`~nlp_contact.workflow.label_issues`: ``find-label-issues`` (confident learning);
- :mod:`~nlp_contact.workflow.active`: ``suggest-labels`` (uncertainty with diversity);
- :mod:`~nlp_contact.workflow.compare`: ``compare`` (paired bootstrap and gates).

matplotlib and cleanlab (the ``workflow`` extra) are imported only inside the functions
that need them, so the core package and CLI never import them.
"""
