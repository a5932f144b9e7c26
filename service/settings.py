"""Service settings, read from ``NLP_CONTACT_*`` environment variables and ``.env``.

Nothing here runs at import time: :func:`service.deps.get_settings` builds the object
once, on first use, and tests replace it through ``app.dependency_overrides``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from nlp_contact.cli._app import default_model_dir

TEXT_CHARS_CEILING = 1_000_000
"""Absolute cap on ``max_text_chars`` (also the static ``maxLength`` in the OpenAPI schema)."""
BATCH_CEILING = 10_000
"""Absolute cap on ``max_batch`` (also the static ``maxItems`` in the OpenAPI schema)."""

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class Settings(BaseSettings):
    """Everything the service can be told; each field is ``NLP_CONTACT_<NAME>``.

    Example:
        ``NLP_CONTACT_MODEL_DIR=models/default NLP_CONTACT_STORE_TEXT=true nlp-contact serve``
    """

    model_config = SettingsConfigDict(
        env_prefix="NLP_CONTACT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        protected_namespaces=(),
    )

    model_dir: Path = Field(
        default_factory=default_model_dir,
        description="Model directory (default: $NLP_CONTACT_MODEL, else models/default).",
    )
    max_text_chars: int = Field(
        default=20_000, ge=1, le=TEXT_CHARS_CEILING, description="Longest contact text accepted."
    )
    max_batch: int = Field(
        default=256, ge=1, le=BATCH_CEILING, description="Most items in one batch."
    )
    max_body_bytes: int = Field(
        default=8 * 1024 * 1024, ge=1024, description="Largest request body accepted (413 above)."
    )
    api_keys_sha256: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Hex SHA-256 hashes of the accepted API keys, as a JSON list or comma-separated; "
            "authentication is on when the list is not empty."
        ),
    )
    database_url: str = Field(
        default="sqlite:///nlp_contact_feedback.db",
        description="SQLAlchemy URL of the feedback database (SQLite file by default).",
    )
    store_text: bool = Field(default=False, description="Store the contact text with feedback.")
    redact: bool = Field(default=True, description="Redact personal data before storing text.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Level of the service's JSON log lines."
    )

    @field_validator("api_keys_sha256", mode="before")
    @classmethod
    def _parse_key_hashes(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("api_keys_sha256")
    @classmethod
    def _check_key_hashes(cls, value: list[str]) -> list[str]:
        out = []
        for i, entry in enumerate(value, 1):
            digest = entry.strip().lower()
            if not _SHA256_HEX.match(digest):
                raise ValueError(
                    f"entry {i} is not a 64-character hex SHA-256 (found {len(digest)} "
                    "characters); store the hash of each key, e.g. `printf %s KEY | sha256sum`, "
                    "never the key itself"
                )
            out.append(digest)
        return out

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError:
            raise ValueError(
                "not a SQLAlchemy URL; expected e.g. sqlite:///feedback.db or "
                "postgresql+psycopg://user:password@host/db"
            ) from None
        return value

    @property
    def auth_enabled(self) -> bool:
        """Whether requests to the API must present a key."""
        return bool(self.api_keys_sha256)
