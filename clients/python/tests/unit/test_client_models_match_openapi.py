"""The client's models against the platform's OpenAPI documents (gateway/ui/openapi/*.json, which
gateway/tests/unit/test_ui_api_types_fresh.py keeps equal to what the services' code answers): every model has the
same fields as its schema, each of the same JSON type (a reference to the same schema), and the same required
ones. A field added, removed or retyped in a service fails here until the client follows."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from labelstream.models import API_SCHEMAS
from pydantic import BaseModel

DOCUMENTS = Path(__file__).resolve().parents[4] / "gateway" / "ui" / "openapi"
Shape = dict[str, tuple[str, bool]]  # field -> (normalised type, required)


@cache
def _document(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DOCUMENTS / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def _kind(schema: dict[str, Any], names: dict[str, str]) -> str:
    """A schema reduced to what the client depends on: JSON types, item types and references (by API name)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"ref:{names.get(name, name)}"
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if alternatives:
        kinds = {_kind(a, names) for a in alternatives}
        if {"integer", "number"} <= kinds:
            kinds.discard("integer")
        return "|".join(sorted(kinds))
    kind = schema.get("type")
    if kind == "array":
        if "prefixItems" in schema:
            return "array[" + "|".join(sorted({_kind(i, names) for i in schema["prefixItems"]})) + "]"
        return f"array[{_kind(schema.get('items', {}), names)}]"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object[{_kind(schema['additionalProperties'], names)}]"
    return str(kind) if kind else "any"


def _shape(schema: dict[str, Any], names: dict[str, str]) -> Shape:
    required = set(schema.get("required", ()))
    return {field: (_kind(p, names), field in required) for field, p in schema.get("properties", {}).items()}


def _client_names() -> dict[str, str]:
    return {model.__name__: api_name for model, (_doc, api_name) in API_SCHEMAS.items()}


@pytest.mark.parametrize("model", list(API_SCHEMAS), ids=lambda m: m.__name__)
def test_model_matches_its_openapi_schema(model: type[BaseModel]) -> None:
    document, name = API_SCHEMAS[model]
    api = _shape(_document(document)["components"]["schemas"][name], {})
    client = _shape(model.model_json_schema(), _client_names())
    assert client == api, f"{model.__name__} differs from {document}.json {name}"


def test_every_schema_the_client_reads_or_writes_is_mirrored() -> None:
    """Every body of the operations the client calls has a model (the paths it calls are listed in one place)."""
    import labelstream  # noqa: F401  (every resource registers its operations)
    from labelstream.api.operations import OPERATIONS

    mirrored = {(doc, name) for doc, name in API_SCHEMAS.values()}
    missing = []
    for document, operation_id in OPERATIONS:
        for name in _bodies_of(_document(document), operation_id):
            if name != "ErrorBody" and (document, name) not in mirrored:
                missing.append(f"{document}:{operation_id}:{name}")
    assert not missing, f"bodies without a client model: {missing}"


def test_every_operation_the_client_calls_exists() -> None:
    import labelstream  # noqa: F401  (every resource registers its operations)
    from labelstream.api.operations import OPERATIONS

    known = {
        (doc, op["operationId"])
        for doc in ("dataset", "labeling", "media", "sync", "gateway")
        for ops in _document(doc)["paths"].values()
        for op in ops.values()
    }
    assert not [o for o in OPERATIONS if o not in known]


def _bodies_of(document: dict[str, Any], operation_id: str) -> set[str]:
    """The schema names an operation's request and 2xx answers use (directly or as a page's items)."""
    for ops in document["paths"].values():
        for op in ops.values():
            if op["operationId"] == operation_id:
                text = json.dumps(
                    [op.get("requestBody", {}), {k: v for k, v in op.get("responses", {}).items() if k.startswith("2")}]
                )
                names = {part.split('"')[0] for part in text.split("#/components/schemas/")[1:]}
                return {n[5:-1] if n.startswith("Page_") else n for n in names}  # a page: its items' schema
    return set()
