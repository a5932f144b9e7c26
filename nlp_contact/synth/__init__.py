"""Generate labelled contact records for training: ``nlp-contact synth``.

Labels are drawn first from configurable shares (:class:`Proportions`), then text is
composed for them from YAML phrase banks in many voices. Everything label-specific is
data (``banks/*.yaml``, ``proportions.yaml``); the code is generic over labels.

Example:
    >>> from nlp_contact.synth import generate
    >>> rec = next(generate(1, seed=7))
    >>> bool(rec["text"])
    True
"""

from nlp_contact.synth.generator import Composer, generate, write
from nlp_contact.synth.proportions import (
    Proportions,
    expected_shares,
    load_proportions,
    reachable,
)

__all__ = [
    "Composer",
    "Proportions",
    "expected_shares",
    "generate",
    "load_proportions",
    "reachable",
    "write",
]
