"""Lazy imports of the ``workflow`` extra (matplotlib, cleanlab)."""

from __future__ import annotations

import importlib
from types import ModuleType

from nlp_contact.errors import BackendNotInstalledError


class WorkflowNotInstalledError(BackendNotInstalledError):
    """A workflow command needs a package of the ``workflow`` extra that is not installed."""

    def __init__(self, missing: str) -> None:
        self.backend = "workflow"
        self.missing = missing
        self.extra = "workflow"
        ImportError.__init__(
            self,
            f"This command needs the Python package '{missing}', which is not installed. "
            "Install it with: pip install 'nlp-contact[workflow]'",
        )


def require(module: str, package: str) -> ModuleType:
    """Import ``module``, or raise an ImportError that names the ``pip install`` command."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise WorkflowNotInstalledError(package) from None
