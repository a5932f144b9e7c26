import nlp_contact


def test_exported_members_are_pinned() -> None:
    assert sorted(nlp_contact.__all__) == sorted(
        [
            "ArtifactError",
            "BackendNotInstalledError",
            "ConfigError",
            "ContactClassifier",
            "DataValidationError",
            "LabelledData",
            "NlpContactError",
            "NotFittedError",
            "Prediction",
            "ResumeError",
            "Taxonomy",
            "TaxonomyError",
            "TrainConfig",
            "__version__",
            "load_config",
            "load_taxonomy",
            "read_labelled",
            "read_table",
            "taxonomy_from_columns",
        ]
    )
    for name in nlp_contact.__all__:
        assert hasattr(nlp_contact, name)


def test_core_import_does_not_pull_heavy_libraries() -> None:
    import subprocess
    import sys

    code = (
        "import sys, nlp_contact, nlp_contact.cli; nlp_contact.cli._register();"
        "heavy = ('torch', 'transformers', 'spacy', 'fastapi', 'dask');"
        "bad = [m for m in heavy if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
