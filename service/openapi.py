"""The OpenAPI schema, completed with the loaded model's channels, heads and labels.

The request models cannot know the taxonomy (it comes with the model), so once the model
is loaded the schema's ``channel`` fields get an ``enum`` of its channels and the
feedback ``heads``/``flags`` objects get one property per head (an ``enum`` of its
labels) and per flag. Until then the generic schema is served (and not cached). When
authentication is off, the API-key requirement is left out, so the schema says what this
deployment does.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from nlp_contact.taxonomy import Taxonomy


def _channel(channels: list[str], description: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "anyOf": [{"type": "string", "enum": channels}, {"type": "null"}],
        "default": None,
    }
    if description:
        out["description"] = description
    return out


def _patch_channel(model_schema: dict[str, Any], channels: list[str] | None) -> None:
    props = model_schema.get("properties", {})
    if channels and "channel" in props:
        props["channel"] = _channel(channels, props["channel"].get("description"))


def _labels(taxonomy: Taxonomy, required: bool) -> dict[str, dict[str, Any]]:
    heads: dict[str, Any] = {
        "type": "object",
        "properties": {
            h: {"type": "string", "enum": spec.label_names} for h, spec in taxonomy.heads.items()
        },
        "additionalProperties": False,
    }
    flags: dict[str, Any] = {
        "type": "object",
        "properties": {f: {"type": "boolean"} for f in taxonomy.flag_names},
        "additionalProperties": False,
    }
    if required:
        heads["required"] = taxonomy.head_names
        flags["required"] = taxonomy.flag_names
    return {"heads": heads, "flags": flags}


def apply_taxonomy(schema: dict[str, Any], taxonomy: Taxonomy) -> None:
    """Write the taxonomy's channels, heads and labels into ``schema`` (in place)."""
    components = schema.get("components", {}).get("schemas", {})
    channels = list(taxonomy.channels) if taxonomy.channels else None
    for name, component in components.items():
        if name.startswith(("ClassifyRequest", "FeedbackRequest")):
            _patch_channel(component, channels)
        elif name.startswith("BatchRequest"):
            items = component.get("properties", {}).get("items", {}).get("items", {})
            _patch_channel(items, channels)
        elif name.startswith(("ShownLabels", "ChosenLabels")):
            props = component.get("properties", {})
            for key, value in _labels(taxonomy, name.startswith("Shown")).items():
                if key in props:
                    description = props[key].get("description")
                    props[key] = value | ({"description": description} if description else {})


def drop_security(schema: dict[str, Any]) -> None:
    """Remove the API-key requirement (this deployment has authentication off)."""
    schema.get("components", {}).pop("securitySchemes", None)
    for methods in schema.get("paths", {}).values():
        for operation in methods.values():
            operation.pop("security", None)
            operation.get("responses", {}).pop("401", None)


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` add the taxonomy once the model is loaded."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        settings = getattr(app.state, "settings", None)
        if settings is not None and not settings.auth_enabled:
            drop_security(schema)
        state = getattr(app.state, "model_state", None)
        if state is not None and state.model is not None:
            apply_taxonomy(schema, state.model.classifier.taxonomy_)
            app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
