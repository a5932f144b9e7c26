"""Data-science commands: cross-validate, find-label-issues, suggest-labels, compare.

Each is a thin wrapper over :mod:`nlp_contact.workflow`; ``evaluate --report`` lives with
``evaluate`` in :mod:`nlp_contact.cli.core`.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from nlp_contact.cli._app import app, echo_err, print_json

EXIT_KEEP = 3
DEFAULT_GATES = Path(__file__).resolve().parents[2] / "training" / "configs" / "gates.toml"

DataArg = Annotated[Path, typer.Argument(help="Labelled CSV, JSONL or Parquet file.")]
FoldsOpt = Annotated[int, typer.Option("--folds", "-k", help="Number of cross-validation folds.")]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML training config of every fold's model.")
]
TaxonomyOpt = Annotated[
    Path | None, typer.Option("--taxonomy", help="Taxonomy YAML/JSON (default: packaged).")
]
HeadOpt = Annotated[
    list[str] | None,
    typer.Option("--head", help="Make a single-label head from this column (repeatable)."),
]
FlagOpt = Annotated[
    list[str] | None, typer.Option("--flag", help="Make a true/false flag from this column.")
]
TextColumnOpt = Annotated[
    str | None, typer.Option("--text-column", help="Column that holds the contact text.")
]
LabelMapOpt = Annotated[
    Path | None, typer.Option("--label-map", help="YAML mapping old taxonomy labels to this one's.")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]


def _label_map(path: Path | None, taxonomy: Any) -> Any:
    if path is None:
        return None
    from nlp_contact.taxonomy_mapping import load_label_map

    return load_label_map(path, taxonomy)


def _progress(quiet: bool) -> None:
    if not quiet:
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)


def _cv_inputs(
    data: Path,
    config: Path | None,
    taxonomy: Path | None,
    head: list[str] | None,
    flag: list[str] | None,
    text_column: str | None,
    label_map: Path | None,
) -> tuple[Any, Any, Any]:
    """The labelled data, its taxonomy and the training config of a cross-validation."""
    from nlp_contact.config import load_config
    from nlp_contact.training import resolve_taxonomy
    from nlp_contact.workflow.crossval import read_labelled_for_cv

    cfg = load_config(config, ["--text_column", text_column] if text_column else [])
    tax = resolve_taxonomy(cfg, taxonomy, head or [], flag or [], data)
    mapping = _label_map(label_map, tax)
    return read_labelled_for_cv(data, tax, cfg.text_column, mapping), tax, cfg


@app.command("cross-validate")
def cross_validate_cmd(
    data: DataArg,
    folds: FoldsOpt = 5,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write out-of-fold predictions (CSV, JSONL or Parquet)."),
    ] = None,
    config: ConfigOpt = None,
    taxonomy: TaxonomyOpt = None,
    head: HeadOpt = None,
    flag: FlagOpt = None,
    text_column: TextColumnOpt = None,
    label_map: LabelMapOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Stratified K-fold: out-of-fold predictions for every row, metrics mean ± std per head."""
    from nlp_contact.workflow._io import write_table
    from nlp_contact.workflow.crossval import cross_validate, oof_frame

    _progress(quiet)
    labelled, tax, cfg = _cv_inputs(data, config, taxonomy, head, flag, text_column, label_map)
    result = cross_validate(labelled, tax, cfg, folds=folds)
    summary = dict(result.summary)
    if out is not None:
        summary["out"] = str(write_table(oof_frame(result, labelled), out))
    print_json(summary)


@app.command("find-label-issues")
def find_label_issues_cmd(
    data: DataArg,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Where to write the issues (CSV, JSONL or Parquet).")
    ],
    folds: FoldsOpt = 5,
    config: ConfigOpt = None,
    taxonomy: TaxonomyOpt = None,
    head: HeadOpt = None,
    flag: FlagOpt = None,
    text_column: TextColumnOpt = None,
    label_map: LabelMapOpt = None,
    filter_by: Annotated[
        str,
        typer.Option(
            "--filter-by", help="cleanlab's rule: prune_by_noise_rate (default), both, ..."
        ),
    ] = "prune_by_noise_rate",
    quiet: QuietOpt = False,
) -> None:
    """Rows whose label is likely wrong (cleanlab on out-of-fold probabilities), ranked."""
    from nlp_contact.data import file_format
    from nlp_contact.errors import ConfigError
    from nlp_contact.workflow._io import write_table
    from nlp_contact.workflow.crossval import cross_validate
    from nlp_contact.workflow.label_issues import FILTERS, find_label_issues, issue_summary

    file_format(out)
    if filter_by not in FILTERS:
        raise ConfigError(f"Unknown --filter-by '{filter_by}'; expected one of {list(FILTERS)}.")
    _progress(quiet)
    labelled, tax, cfg = _cv_inputs(data, config, taxonomy, head, flag, text_column, label_map)
    result = cross_validate(labelled, tax, cfg, folds=folds)
    table = find_label_issues(result, labelled, filter_by)
    write_table(table, out)
    print_json({**issue_summary(table, len(labelled)), "out": str(out)})


@app.command("suggest-labels")
def suggest_labels_cmd(
    unlabelled: Annotated[Path, typer.Argument(help="CSV, JSONL or Parquet file of contacts.")],
    n: Annotated[int, typer.Option("--n", "-n", help="How many contacts to suggest.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Where to write them (CSV, JSONL or Parquet).")
    ],
    model: Annotated[
        Path | None,
        typer.Option("--model", "-m", help="Model directory (default: models/default)."),
    ] = None,
    strategy: Annotated[
        str, typer.Option("--strategy", help="Head uncertainty: margin (default) or entropy.")
    ] = "margin",
    near_duplicate: Annotated[
        float,
        typer.Option(
            "--near-duplicate", help="Cosine similarity from which texts are near-duplicates."
        ),
    ] = 0.9,
    text_column: Annotated[
        str, typer.Option("--text-column", help="Column with the text.")
    ] = "text",
) -> None:
    """The N unlabelled contacts whose labels would teach the model most."""
    from nlp_contact.cli.core import load_classifier
    from nlp_contact.data import file_format, read_table
    from nlp_contact.workflow._io import write_table
    from nlp_contact.workflow.active import suggest_labels

    file_format(out)
    clf = load_classifier(model)
    picked = suggest_labels(clf, read_table(unlabelled), n, text_column, strategy, near_duplicate)
    write_table(picked, out)
    echo_err(f"{len(picked)} contacts to label written to {out}.")
    print_json(
        {
            "suggested": len(picked),
            "out": str(out),
            "mean_uncertainty": float(picked["uncertainty"].mean()),
        }
    )


@app.command("compare")
def compare_cmd(
    champion: Annotated[Path, typer.Argument(help="Model directory of the model in service.")],
    challenger: Annotated[Path, typer.Argument(help="Model directory of the candidate.")],
    data: DataArg,
    gates: Annotated[
        Path | None,
        typer.Option("--gates", help="Gates TOML (default: training/configs/gates.toml)."),
    ] = None,
    slice_: Annotated[
        list[str] | None, typer.Option("--slice", help="Also compare by this column (repeatable).")
    ] = None,
    label_map: LabelMapOpt = None,
    text_column: Annotated[
        str, typer.Option("--text-column", help="Column with the text.")
    ] = "text",
) -> None:
    """Both models' metrics with paired-bootstrap intervals, and the decision.

    Exit code 0: promote the challenger; 3: keep the champion; 2: bad input.
    """
    from nlp_contact.cli.core import load_classifier
    from nlp_contact.workflow._eval import load_eval_data
    from nlp_contact.workflow.compare import compare_models
    from nlp_contact.workflow.gates import load_gates

    rules = load_gates(gates if gates is not None else _default_gates())
    old, new = load_classifier(champion), load_classifier(challenger)
    mapping = _label_map(label_map, new.taxonomy_)
    labelled = load_eval_data(new.taxonomy_, data, text_column, mapping)
    result = compare_models(old, new, labelled, rules, slice_ or [])
    decision = result["decision"]
    models = {
        "champion": {"directory": str(champion), **old.model_info},
        "challenger": {"directory": str(challenger), **new.model_info},
    }
    print_json(
        {"decision": result.pop("decision"), "gates": result.pop("gates"), **models, **result}
    )
    echo_err(f"Decision: {decision}.")
    if decision != "promote":
        # SystemExit, not typer.Exit: cli.main() drops the code click returns for Exit when
        # standalone_mode is off, and a pipeline must see 3.
        raise SystemExit(EXIT_KEEP)


def _default_gates() -> Path | None:
    return DEFAULT_GATES if DEFAULT_GATES.is_file() else None
