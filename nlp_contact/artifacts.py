"""Model directories: what is written, and the checks made before anything is loaded.

A model directory holds ``config.json`` (backend, hyperparameters, taxonomy, calibration,
thresholds), ``meta.json`` (versions, training-data hashes, metrics, creation time), the
backend's weights in a format that runs no code when read (arrays in ``.npz`` read with
``allow_pickle=False``, JSON, safetensors, spaCy's own files), the model card
``README.md`` and ``manifest.json`` with the sha256 of every other file. Loading refuses
a changed, missing or unknown file, naming it, and warns when recorded library versions
differ from the installed ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import subprocess
import warnings
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nlp_contact.backends.base import backend_class
from nlp_contact.config import config_from_dict
from nlp_contact.errors import ArtifactError
from nlp_contact.taxonomy import taxonomy_from_dict

if TYPE_CHECKING:
    from nlp_contact.classifier import ContactClassifier

CONFIG_FILE = "config.json"
META_FILE = "meta.json"
MANIFEST_FILE = "manifest.json"
CARD_FILE = "README.md"
FORMAT_VERSION = 1
CORE_PACKAGES = ("nlp-contact", "numpy", "scipy", "scikit-learn")
BACKEND_PACKAGES = {
    "linear": (),
    "spacy": ("spacy",),
    "transformer": ("torch", "transformers", "onnxruntime"),
}


class VersionMismatchWarning(UserWarning):
    """A model was saved with other library versions than those installed."""


def installed_versions(backend: str) -> dict[str, str | None]:
    """Versions of the packages a backend's predictions depend on."""
    from nlp_contact import __version__

    out: dict[str, str | None] = {"python": platform.python_version(), "nlp-contact": __version__}
    for pkg in CORE_PACKAGES[1:] + BACKEND_PACKAGES.get(backend, ()):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def _git_sha() -> str | None:
    try:
        res = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).parent,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() or None if res.returncode == 0 else None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files_in(directory: Path) -> list[str]:
    return sorted(
        p.relative_to(directory).as_posix()
        for p in directory.rglob("*")
        if p.is_file() and p.name != MANIFEST_FILE
    )


def write_manifest(directory: Path) -> dict[str, str]:
    """Hash every file of the model directory into ``manifest.json``."""
    files = {name: sha256_of(directory / name) for name in _files_in(directory)}
    (directory / MANIFEST_FILE).write_text(
        json.dumps({"format": FORMAT_VERSION, "sha256": files}, indent=2) + "\n", "utf-8"
    )
    return files


def verify_manifest(directory: Path, ignore: tuple[str, ...] = ()) -> None:
    """Refuse a directory with a changed, missing or unknown file (``ignore``: new files)."""
    path = directory / MANIFEST_FILE
    if not path.is_file():
        raise ArtifactError(
            f"'{directory}' is not an nlp-contact model directory: '{MANIFEST_FILE}' is "
            "missing. Pass a directory written by `nlp-contact train` or ContactClassifier.save."
        )
    listed: dict[str, str] = json.loads(path.read_text("utf-8"))["sha256"]
    present = set(_files_in(directory)) - set(ignore)
    for name in sorted(present - set(listed)):
        raise ArtifactError(
            f"Refusing to load '{directory}': file '{name}' is not in the manifest (unknown "
            "file). Remove it, or retrain/re-save the model."
        )
    for name, expected in listed.items():
        if name not in present:
            raise ArtifactError(f"Refusing to load '{directory}': file '{name}' is missing.")
        if sha256_of(directory / name) != expected:
            raise ArtifactError(
                f"Refusing to load '{directory}': file '{name}' has changed since the model was "
                "saved (sha256 does not match the manifest). Restore it or retrain the model."
            )


def _model_version(directory: Path, files: list[str], created: str) -> str:
    digest = hashlib.sha256()
    for name in files:
        digest.update(sha256_of(directory / name).encode())
    return f"{created[:10]}-{digest.hexdigest()[:10]}"


def save_model(
    clf: ContactClassifier, directory: Path, name: str | None, extra_meta: dict[str, Any]
) -> Path:
    """Write every file of a model directory and return it."""
    from nlp_contact.model_card import write_card

    _prepare_directory(directory)
    backend = clf.backend_
    weight_files = backend.save(directory)
    config = {
        "format": FORMAT_VERSION,
        "backend": backend.name,
        "backend_params": backend.params(),
        "taxonomy": clf.taxonomy_.to_dict(),
        "training_config": clf.config_.model_dump(mode="json"),
        "calibration": clf.calibration_.to_dict(),
    }
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", "utf-8")
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    meta = {
        "name": name or directory.name,
        "model_version": _model_version(directory, [CONFIG_FILE, *weight_files], created),
        "created": created,
        "versions": installed_versions(backend.name),
        "git_sha": _git_sha(),
        "training_data": getattr(clf, "training_data_", None),
        "validation_metrics": clf.validation_metrics_,
        **extra_meta,
    }
    (directory / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
    clf.meta_ = meta
    write_card(directory, config, meta)
    write_manifest(directory)
    return directory


def _prepare_directory(directory: Path) -> None:
    """Create ``directory``, or empty it when it holds an earlier model; refuse otherwise."""
    import shutil

    if directory.exists() and not directory.is_dir():
        raise ArtifactError(f"Cannot save a model to '{directory}': it is a file.")
    directory.mkdir(parents=True, exist_ok=True)
    entries = list(directory.iterdir())
    if entries and not (directory / MANIFEST_FILE).is_file():
        raise ArtifactError(
            f"Cannot save a model to '{directory}': it is not empty and holds no model "
            f"({len(entries)} entries). Choose a new or empty directory."
        )
    for entry in entries:
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _warn_versions(directory: Path, recorded: dict[str, Any], backend: str) -> None:
    now = installed_versions(backend)
    diffs = [
        f"{pkg} {recorded.get(pkg)} (saved) vs {now.get(pkg)} (installed)"
        for pkg in now
        if pkg != "python" and pkg in recorded and recorded.get(pkg) != now.get(pkg)
    ]
    if diffs:
        warnings.warn(
            f"Model '{directory}' was saved with other library versions: {'; '.join(diffs)}. "
            "Predictions may differ; retrain or install the recorded versions.",
            VersionMismatchWarning,
            stacklevel=3,
        )


def load_model(cls: type[ContactClassifier], directory: Path) -> ContactClassifier:
    """Verify and load a model directory into a fitted classifier."""
    from nlp_contact.classifier import Calibration

    if not directory.is_dir():
        raise ArtifactError(
            f"Model directory '{directory}' does not exist. Pass --model DIR (a directory "
            "written by `nlp-contact train`) or set NLP_CONTACT_MODEL."
        )
    verify_manifest(directory)
    config = json.loads((directory / CONFIG_FILE).read_text("utf-8"))
    meta = json.loads((directory / META_FILE).read_text("utf-8"))
    if config.get("format") != FORMAT_VERSION:
        raise ArtifactError(
            f"Model '{directory}' has format {config.get('format')}; this nlp-contact reads "
            f"format {FORMAT_VERSION}. Retrain the model with this version."
        )
    _warn_versions(directory, meta.get("versions", {}), config["backend"])
    taxonomy = taxonomy_from_dict(config["taxonomy"], source=f"'{directory / CONFIG_FILE}'")
    clf = cls(taxonomy=taxonomy, config=config_from_dict(config["training_config"]))
    clf.taxonomy_ = taxonomy
    clf.config_ = clf.config  # type: ignore[assignment]
    clf.calibration_ = Calibration.from_dict(config["calibration"])
    clf.backend_ = backend_class(config["backend"]).load(directory, config["backend_params"])
    clf.validation_metrics_ = meta.get("validation_metrics", {})
    clf.meta_ = meta
    clf.model_dir_ = directory
    return clf


def update_meta(
    directory: Path, updates: dict[str, Any], new_files: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Add facts to a saved model's meta.json (e.g. dev-set metrics) and files beside it
    (``new_files``, e.g. card pictures), then re-render its card and manifest. The rest of
    the directory is verified first, so only a trusted model is touched."""
    from nlp_contact.model_card import write_card

    verify_manifest(directory, ignore=new_files)
    config = json.loads((directory / CONFIG_FILE).read_text("utf-8"))
    meta = json.loads((directory / META_FILE).read_text("utf-8"))
    meta.update(updates)
    (directory / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
    write_card(directory, config, meta)
    write_manifest(directory)
    return meta
