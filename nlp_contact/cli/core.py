"""Core commands: train, classify, score, evaluate, info."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from nlp_contact.cli._app import app, default_model_dir, echo_err, print_json
from nlp_contact.config import load_config
from nlp_contact.errors import ConfigError

ModelOpt = Annotated[
    Path | None,
    typer.Option(
        "--model",
        "-m",
        help="Model directory (default: $NLP_CONTACT_MODEL, else models/default).",
    ),
]
TextColumnOpt = Annotated[
    str, typer.Option("--text-column", help="Column that holds the contact text.")
]


def load_classifier(model: Path | None) -> Any:
    """Load the model directory named by --model or the default."""
    from nlp_contact.classifier import ContactClassifier

    return ContactClassifier.load(model or default_model_dir())


@app.command(
    "train",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def train_cmd(
    ctx: typer.Context,
    data: Annotated[
        list[Path] | None, typer.Argument(help="Labelled CSV/JSONL/Parquet file(s), weight 1.")
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory to write the model to.")
    ] = Path("models/trained"),
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="TOML training config.")
    ] = None,
    taxonomy: Annotated[
        Path | None, typer.Option("--taxonomy", help="Taxonomy YAML/JSON (default: packaged).")
    ] = None,
    head: Annotated[
        list[str] | None,
        typer.Option("--head", help="Make a single-label head from this column (repeatable)."),
    ] = None,
    flag: Annotated[
        list[str] | None, typer.Option("--flag", help="Make a true/false flag from this column.")
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source", help="Extra labelled file with a weight, FILE:WEIGHT (repeatable)."
        ),
    ] = None,
    text_column: Annotated[
        str | None, typer.Option("--text-column", help="Column that holds the contact text.")
    ] = None,
    backend: Annotated[
        str | None, typer.Option("--backend", help="linear (default), spacy or transformer.")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Model name in its card.")] = None,
    label_map: Annotated[
        Path | None,
        typer.Option("--label-map", help="YAML mapping old taxonomy labels to this one's."),
    ] = None,
    base_model: Annotated[
        str | None,
        typer.Option(
            "--base-model",
            help="spacy: installed pipeline or pipeline directory; transformer: local "
            "Hugging Face checkpoint directory or 'scratch'.",
        ),
    ] = None,
    export: Annotated[
        str | None,
        typer.Option(
            "--export",
            help="transformer: 'onnx' also writes model.onnx (int8 unless "
            "--transformer.quantize false); score and serve then use it.",
        ),
    ] = None,
) -> None:
    """Validate labelled data, train, calibrate on held-out data, save, print metrics.

    Settings not given as options can be overridden with dotted keys after the
    arguments, e.g. `--linear.C 4 --train.seed 1`.
    """
    from nlp_contact.training import parse_source, resolve_taxonomy, train

    paths, overrides = _split_overrides([str(p) for p in data or []] + list(ctx.args))
    if backend:
        overrides += ["--train.backend", backend]
    if text_column:
        overrides += ["--text_column", text_column]
    cfg = load_config(config, _dotted(overrides))
    if base_model is not None or export is not None:
        cfg = load_config(config, _dotted(overrides + _model_options(cfg, base_model, export)))
    sources = [parse_source(p) for p in paths] + [parse_source(s) for s in source or []]
    sources = list(cfg.sources) + sources
    first = Path(sources[0].path) if sources else None
    tax = resolve_taxonomy(cfg, taxonomy, head or [], flag or [], first)
    mapping = _load_label_map(label_map, tax)
    clf = train(sources, out, cfg, tax, name=name, label_map=mapping)
    echo_err(f"Model written to {out} (version {clf.meta_['model_version']}).")
    print_json({"model": str(out), "validation": _summary(clf.validation_metrics_)})


def _model_options(cfg: Any, base_model: str | None, export: str | None) -> list[str]:
    """--base-model / --export as overrides of the chosen backend's section."""
    chosen = cfg.train.backend
    if base_model is not None and chosen not in ("spacy", "transformer"):
        raise ConfigError(
            f"--base-model applies to the spacy and transformer backends, not '{chosen}'. "
            "Add --backend spacy or --backend transformer."
        )
    if export is not None and chosen != "transformer":
        raise ConfigError(
            f"--export applies to the transformer backend, not '{chosen}'. "
            "Add --backend transformer."
        )
    out = [f"--{chosen}.base_model", base_model] if base_model is not None else []
    return out + (["--transformer.export", export] if export is not None else [])


def _split_overrides(args: list[str]) -> tuple[list[str], list[str]]:
    """Data paths come first; everything from the first --section.key on is an override."""
    for i, arg in enumerate(args):
        if arg.startswith("--"):
            return args[:i], args[i:]
    return args, []


def _dotted(args: list[str]) -> list[str]:
    """Typer passes '--text_column' etc.; turn top-level keys into config overrides."""
    out = []
    for a in args:
        if a == "--text_column":
            out.append("--_top.text_column")
        else:
            out.append(a)
    return [a.replace("--_top.", "--") if a.startswith("--_top.") else a for a in out]


def _load_label_map(path: Path | None, taxonomy: Any) -> Any:
    if path is None:
        return None
    from nlp_contact.taxonomy_mapping import load_label_map

    return load_label_map(path, taxonomy)


def _summary(metrics: dict[str, Any]) -> dict[str, Any]:
    return {
        "n": metrics.get("n"),
        "method": metrics.get("method"),
        "heads": {
            h: {k: round(m[k], 4) for k in ("accuracy", "macro_f1", "ece")}
            for h, m in metrics.get("heads", {}).items()
        },
        "flags": {
            f: {k: round(m[k], 4) for k in ("precision", "recall", "f1", "threshold")}
            for f, m in metrics.get("flags", {}).items()
        },
    }


@app.command("classify")
def classify_cmd(
    text: Annotated[str, typer.Argument(help="The contact text; '-' reads standard input.")],
    model: ModelOpt = None,
    channel: Annotated[
        str | None, typer.Option("--channel", help="phone, letter, email, face_to_face, webchat.")
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Add the terms that pushed each prediction.")
    ] = False,
) -> None:
    """Classify one contact and print the prediction as JSON."""
    from nlp_contact.data import text_problem

    if text == "-":
        text = sys.stdin.read()
    problem = text_problem(text)
    if problem:
        raise ConfigError(f"Cannot classify TEXT: {problem}. Pass the contact text to classify.")
    clf = load_classifier(model)
    if channel is not None and clf.taxonomy_.channels and channel not in clf.taxonomy_.channels:
        raise ConfigError(
            f"Unknown --channel '{channel}'; expected one of {clf.taxonomy_.channels}."
        )
    pred = clf.predict([text], explain=explain)[0]
    print_json(pred.to_dict(model=clf.model_info))


@app.command("evaluate")
def evaluate_cmd(
    data: Annotated[Path, typer.Argument(help="Labelled CSV, JSONL or Parquet file.")],
    model: ModelOpt = None,
    text_column: TextColumnOpt = "text",
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Also write an HTML report and its PNG charts here."),
    ] = None,
    slice_: Annotated[
        list[str] | None,
        typer.Option("--slice", help="Report accuracy by this column too (repeatable)."),
    ] = None,
    no_redact: Annotated[
        bool, typer.Option("--no-redact", help="Show the report's mistake texts unredacted.")
    ] = False,
    label_map: Annotated[
        Path | None,
        typer.Option("--label-map", help="YAML mapping old taxonomy labels to the model's."),
    ] = None,
) -> None:
    """Print accuracy, macro-F1, ECE and per-label metrics per head, and flag metrics."""
    from nlp_contact.training import evaluate

    clf = load_classifier(model)
    mapping = _load_label_map(label_map, clf.taxonomy_)
    metrics, labelled, _ = evaluate(clf, data, text_column, label_map=mapping)
    if report is not None:
        from nlp_contact.workflow.report import write_report

        path = write_report(
            clf,
            metrics,
            labelled,
            report,
            slices=slice_ or [],
            redact=not no_redact,
            source=str(data),
        )
        echo_err(f"Report written to {path}.")
    print_json(metrics)


@app.command("info")
def info_cmd(model: ModelOpt = None) -> None:
    """Print the model's metadata (versions, training data, metrics)."""
    import json as _json

    directory = model or default_model_dir()
    clf = load_classifier(directory)
    meta = dict(clf.meta_)
    meta["directory"] = str(directory)
    meta["taxonomy"] = {
        "name": clf.taxonomy_.name,
        "version": clf.taxonomy_.version,
        "heads": clf.labels_,
        "flags": clf.taxonomy_.flag_names,
    }
    print_json(_json.loads(_json.dumps(meta)))
