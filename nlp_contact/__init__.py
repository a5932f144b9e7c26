"""nlp-contact: classify free-text customer contacts to a public service.

The public API::

    from nlp_contact import ContactClassifier, load_taxonomy
    clf = ContactClassifier(load_taxonomy()).fit(texts, labels)
    clf.predict(["cust rang chasing UC payment"])
    clf.save("models/mine"); ContactClassifier.load("models/mine")
"""

from nlp_contact.classifier import ContactClassifier
from nlp_contact.config import TrainConfig, load_config
from nlp_contact.data import LabelledData, read_labelled, read_table
from nlp_contact.errors import (
    ArtifactError,
    BackendNotInstalledError,
    ConfigError,
    DataValidationError,
    NlpContactError,
    NotFittedError,
    ResumeError,
    TaxonomyError,
)
from nlp_contact.prediction import Prediction
from nlp_contact.taxonomy import Taxonomy, load_taxonomy, taxonomy_from_columns

__version__ = "0.1.0"

__all__ = [
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
