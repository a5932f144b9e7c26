"""Redaction of personal data in contact text, before it is stored, logged or shown.

>>> from nlp_contact.redact import Redactor
>>> Redactor().redact("Dear Mr Khan, your NI number QQ 12 34 56 C is on file.")
'Dear Mr [PERSON_1], your NI number [NINO_1] is on file.'

Needs spaCy (``pip install 'nlp-contact[spacy]'``); no spaCy model is needed.
"""

from __future__ import annotations

from nlp_contact.redact._patterns import ENTITY_TYPES, luhn_ok
from nlp_contact.redact.redactor import Redactor, Span, redact_text

__all__ = ["ENTITY_TYPES", "Redactor", "Span", "luhn_ok", "redact_text"]
