"""The nlp-contact HTTP service: classification API and caseworker page (FastAPI).

Run it with ``nlp-contact serve`` or ``uvicorn service.main:app``; see
:mod:`service.settings` for the ``NLP_CONTACT_*`` settings.
"""
