"""Command line interface: ``nlp-contact COMMAND``.

Command modules register themselves on the shared Typer ``app``; add a module
name to ``COMMAND_MODULES`` to add its commands.
"""

from __future__ import annotations

import importlib
import sys

import click
import typer

from nlp_contact.cli._app import EXIT_BAD_INPUT, EXIT_UNEXPECTED, app, echo_err
from nlp_contact.errors import NlpContactError

COMMAND_MODULES = (
    "nlp_contact.cli.core",
    "nlp_contact.cli.batch",
    "nlp_contact.cli.serve",
    "nlp_contact.cli.redact",
    "nlp_contact.cli.synth",
    "nlp_contact.cli.workflow",
    "nlp_contact.cli.report",
)


def _click_modules() -> list[object]:
    """click, and the copy of click that newer Typer releases carry inside them."""
    mods: list[object] = [click]
    try:
        from typer import _click as vendored

        mods.append(vendored)
    except ImportError:
        pass
    return mods


def _exception_types(name: str) -> tuple[type[BaseException], ...]:
    found = []
    for mod in _click_modules():
        exc_mod = getattr(mod, "exceptions", mod)
        cls = getattr(exc_mod, name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(found)


_EXIT: tuple[type[BaseException], ...] = (*_exception_types("Exit"), typer.Exit)
_ABORT: tuple[type[BaseException], ...] = (*_exception_types("Abort"), typer.Abort)
_CLICK_ERROR: tuple[type[BaseException], ...] = _exception_types("ClickException")


def _register() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 bad input or usage, 1 unexpected)."""
    _register()
    try:
        command = typer.main.get_command(app)
        rv = command.main(args=argv, prog_name="nlp-contact", standalone_mode=False)
    except _EXIT as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except _ABORT:
        echo_err("Aborted.")
        return EXIT_UNEXPECTED
    except _CLICK_ERROR as exc:
        exc.show()  # type: ignore[attr-defined]
        return EXIT_BAD_INPUT
    except NlpContactError as exc:
        echo_err(f"Error: {exc}")
        return EXIT_BAD_INPUT
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        echo_err(f"Error: cannot read or write '{exc.filename}': {exc.strerror}.")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        echo_err("Interrupted.")
        return 130
    except Exception as exc:  # the last line of defence: a short message, exit 1
        echo_err(
            f"Unexpected error ({type(exc).__name__}): {exc}. This is a bug; please report it."
        )
        return EXIT_UNEXPECTED
    return rv if isinstance(rv, int) else 0


def entry() -> None:
    sys.exit(main())


__all__ = ["app", "main", "entry"]
