"""What the classifier answers for one contact, and its JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nlp_contact.backends.base import Term


@dataclass
class LabelProbability:
    """A label and its calibrated probability."""

    label: str
    probability: float


@dataclass
class HeadPrediction:
    """A single-label head: the label, its probability and the three most likely labels."""

    label: str
    confidence: float
    top: list[LabelProbability]
    review_threshold: float


@dataclass
class FlagPrediction:
    """A flag: true when ``probability`` reaches ``threshold``."""

    value: bool
    probability: float
    threshold: float


@dataclass
class Prediction:
    """Everything predicted for one contact.

    ``derived`` holds the taxonomy's rule-based suggestions (``routing``, ``priority``);
    ``needs_review`` is true when a head's confidence is below its review threshold or
    a head abstained; ``review_reasons`` says which.
    """

    heads: dict[str, HeadPrediction]
    flags: dict[str, FlagPrediction]
    derived: dict[str, str]
    needs_review: bool
    review_reasons: list[str] = field(default_factory=list)
    evidence: dict[str, list[Term]] | None = None
    id: str | None = None

    @property
    def labels(self) -> dict[str, str]:
        """Head -> predicted label."""
        return {h: p.label for h, p in self.heads.items()}

    def to_dict(self, model: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON object printed by ``nlp-contact classify`` and served by the API."""
        out: dict[str, Any] = {}
        if model is not None:
            out["model"] = model
        if self.id is not None:
            out["id"] = self.id
        out["heads"] = {
            h: {
                "label": p.label,
                "confidence": round(p.confidence, 4),
                "top": [{"label": t.label, "probability": round(t.probability, 4)} for t in p.top],
            }
            for h, p in self.heads.items()
        }
        out["flags"] = {
            f: {
                "value": p.value,
                "probability": round(p.probability, 4),
                "threshold": round(p.threshold, 4),
            }
            for f, p in self.flags.items()
        }
        out.update(self.derived)
        out["needs_review"] = self.needs_review
        out["review_reasons"] = self.review_reasons
        if self.evidence is not None:
            out["evidence"] = {
                name: [{"term": t.term, "weight": t.weight} for t in terms]
                for name, terms in self.evidence.items()
            }
        return out
