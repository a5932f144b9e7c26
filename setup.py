"""Build hook for the optional C accelerator; all metadata lives in pyproject.toml.

``nlp_contact._fastfeat`` is optional: if it fails to compile the package still installs
and ``nlp_contact.features`` uses its pure-Python path.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "nlp_contact._fastfeat",
            sources=["nlp_contact/_fastfeat.c"],
            extra_compile_args=["-O2", "-ffp-contract=off"],  # no fused multiply-add: exact sums
            optional=True,
        )
    ]
)
