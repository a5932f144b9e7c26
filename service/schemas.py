"""Request and response bodies of the API, each field with its limits.

Limits that come from settings or from the loaded model's taxonomy (the text length,
the batch size, the channels, the heads and labels) are checked in the routes, so the
422 names the configured limit; the static bounds here are absolute ceilings.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from service.db import CHANNEL_CHARS, ID_CHARS
from service.settings import BATCH_CEILING, TEXT_CHARS_CEILING

NAME_CHARS = 64
MAX_OUTPUTS = 64

Text = Annotated[
    str,
    Field(
        min_length=1,
        max_length=TEXT_CHARS_CEILING,
        description="The contact's free text (limit: the max_text_chars setting, 20,000 "
        "characters by default).",
    ),
]
Channel = Annotated[
    str | None,
    Field(
        default=None,
        max_length=CHANNEL_CHARS,
        description="How the contact arrived; one of the model taxonomy's channels.",
    ),
]
Ref = Annotated[str, Field(min_length=1, max_length=ID_CHARS)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ClassifyRequest(_Request):
    """One contact to classify."""

    text: Text
    channel: Channel = None
    id: str | None = Field(
        default=None, max_length=ID_CHARS, description="Your identifier, echoed back."
    )
    explain: bool = Field(default=False, description="Add the evidence terms per output.")


BatchItem = Annotated[Any, WithJsonSchema(ClassifyRequest.model_json_schema())]


class BatchRequest(_Request):
    """Several contacts; each item is checked on its own, so one bad item fails alone."""

    items: list[BatchItem] = Field(
        max_length=BATCH_CEILING,
        description="Contacts to classify (limit: the max_batch setting, 256 by default).",
    )


class LabelProbability(BaseModel):
    """A label and its calibrated probability."""

    label: str
    probability: float


class HeadResult(BaseModel):
    """A single-label head: the label, its probability and the three most likely labels."""

    label: str
    confidence: float
    top: list[LabelProbability]


class FlagResult(BaseModel):
    """A flag: true when ``probability`` reaches ``threshold``."""

    value: bool
    probability: float
    threshold: float


class Term(BaseModel):
    """An input term and how strongly it pushed the prediction."""

    term: str
    weight: float


class ModelInfo(BaseModel):
    """The model that answered."""

    name: str
    version: str
    backend: str


class ClassifyResponse(BaseModel):
    """The JSON object ``nlp-contact classify`` prints.

    The taxonomy's derived suggestions (``routing``, ``priority``) are extra string fields.
    """

    model_config = ConfigDict(
        extra="allow",
        protected_namespaces=(),
        json_schema_extra={"additionalProperties": {"type": "string"}},
    )

    model: ModelInfo | None = None
    id: str | None = None
    heads: dict[str, HeadResult]
    flags: dict[str, FlagResult]
    needs_review: bool
    review_reasons: list[str]
    evidence: dict[str, list[Term]] | None = None


class ItemError(BaseModel):
    """Why one batch item was not classified."""

    field: str
    message: str


class BatchEntry(BaseModel):
    """The answer for one batch item: a prediction or an error."""

    index: int
    id: str | None = None
    ok: bool
    prediction: ClassifyResponse | None = None
    error: ItemError | None = None


class BatchResponse(BaseModel):
    """One entry per item, in the order sent."""

    model_config = ConfigDict(protected_namespaces=())

    model: ModelInfo
    items: list[BatchEntry]
    errors: int = Field(description="How many items have an error entry.")


class ShownLabels(_Request):
    """What the caseworker was shown: a label for every head and a value for every flag."""

    heads: dict[Annotated[str, Field(max_length=NAME_CHARS)], Ref] = Field(max_length=MAX_OUTPUTS)
    flags: dict[Annotated[str, Field(max_length=NAME_CHARS)], bool] = Field(
        default_factory=dict, max_length=MAX_OUTPUTS
    )


class ChosenLabels(_Request):
    """What the caseworker chose; heads and flags left out keep the label shown."""

    heads: dict[Annotated[str, Field(max_length=NAME_CHARS)], Ref] = Field(
        default_factory=dict, max_length=MAX_OUTPUTS
    )
    flags: dict[Annotated[str, Field(max_length=NAME_CHARS)], bool] = Field(
        default_factory=dict, max_length=MAX_OUTPUTS
    )


class FeedbackRequest(_Request):
    """A caseworker's acceptance or correction of a suggestion."""

    suggestion_id: Ref = Field(description="The id the suggestion was requested with.")
    model_version: Ref = Field(description="The model version that made the suggestion.")
    shown: ShownLabels
    chosen: ChosenLabels
    user: Ref = Field(description="An opaque reference to the caseworker (not a name).")
    text: Text | None = Field(
        default=None,
        description="The contact text; stored only when the service's store_text setting "
        "is on (redacted first by default).",
    )
    channel: Channel = None


class FeedbackResponse(BaseModel):
    """The stored feedback."""

    id: int
    suggestion_id: str
    corrected: list[str] = Field(description="Heads and flags whose chosen value differs.")
    text_stored: bool
    created_at: dt.datetime


class HealthResponse(BaseModel):
    """The process is up."""

    status: Literal["ok"]


class ReadyResponse(BaseModel):
    """Whether the model is loaded (503 with the reason when not)."""

    model_config = ConfigDict(protected_namespaces=())

    status: Literal["ready", "not_ready"]
    reason: str | None = None
    model: ModelInfo | None = None


class ServiceLimits(BaseModel):
    """The service's settings that matter to a client."""

    max_text_chars: int
    max_batch: int
    auth: bool
    store_text: bool


class ModelResponse(BaseModel):
    """The loaded model: metadata, taxonomy and thresholds."""

    model_config = ConfigDict(protected_namespaces=())

    model: ModelInfo
    meta: dict[str, Any]
    taxonomy: dict[str, Any]
    review_thresholds: dict[str, float]
    flag_thresholds: dict[str, float]
    service: ServiceLimits


class ErrorResponse(BaseModel):
    """Every error answer: a readable ``detail`` plus the request id."""

    detail: str
    request_id: str | None = None
    errors: list[dict[str, Any]] | None = None
