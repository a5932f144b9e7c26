"""The feedback database (SQLAlchemy 2 ORM): SQLite file by default, any SQLAlchemy URL.

One table, ``feedback``: what a caseworker was shown for a suggestion and what they
chose. The contact text is kept only when the ``store_text`` setting allows it, redacted
first when ``redact`` is on (and not at all if redaction is unavailable or fails).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, Integer, String, Text, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from service.monitoring import SERVICE_LOGGER, log_json
from service.settings import Settings

ID_CHARS = 128
CHANNEL_CHARS = 64

log = logging.getLogger(SERVICE_LOGGER)


class Base(DeclarativeBase):
    """Declarative base of the service's tables."""


class Feedback(Base):
    """A caseworker's acceptance or correction of one suggestion."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    suggestion_id: Mapped[str] = mapped_column(String(ID_CHARS), index=True)
    model_version: Mapped[str] = mapped_column(String(ID_CHARS))
    shown: Mapped[dict[str, Any]] = mapped_column(JSON)
    chosen: Mapped[dict[str, Any]] = mapped_column(JSON)
    corrected: Mapped[list[str]] = mapped_column(JSON)
    user_ref: Mapped[str] = mapped_column(String(ID_CHARS))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str | None] = mapped_column(String(CHANNEL_CHARS), nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)


@dataclass
class Database:
    """The engine and session factory built from the settings."""

    engine: Engine
    sessions: sessionmaker[Session]

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def open_database(url: str) -> Database:
    """Connect to ``url`` and create the tables that are missing."""
    is_sqlite = url.startswith("sqlite")
    kwargs: dict[str, Any] = {"pool_pre_ping": not is_sqlite}
    if is_sqlite:
        kwargs["connect_args"] = {"check_same_thread": False}
    engine = create_engine(url, **kwargs)
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    for attempt in range(3):  # several workers may create the table at the same moment
        try:
            Base.metadata.create_all(engine)
            break
        except OperationalError:
            if attempt == 2:
                raise
    return Database(engine, sessionmaker(engine, expire_on_commit=False))


def make_text_keeper(settings: Settings) -> Callable[[str], str | None]:
    """The function that decides what of a contact text is stored (None: nothing)."""
    if not settings.store_text:
        return lambda _text: None
    if not settings.redact:
        return lambda text: text
    try:
        from nlp_contact.redact import Redactor  # type: ignore[import-not-found,unused-ignore]

        redactor = Redactor()
    except Exception as exc:  # any failure means: do not store text
        log_json(
            log,
            logging.WARNING,
            "redaction_unavailable",
            error=type(exc).__name__,
            effect="feedback text will not be stored until redaction works",
        )
        return lambda _text: None

    def keep(text: str) -> str | None:
        try:
            return str(redactor.redact(text))
        except Exception as exc:  # never store unredacted text
            log_json(log, logging.WARNING, "redaction_failed", error=type(exc).__name__)
            return None

    return keep
