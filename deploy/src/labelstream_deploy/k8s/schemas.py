"""kubeconform's schema layout from a Kubernetes swagger.json (OpenAPI v2), offline: `_definitions.json` with every
definition (objects with properties get `additionalProperties: false`, so unknown fields are errors; int-or-string
becomes string|integer), and per group/version/kind `<kind>[-<group>]-<version>.json` referring into it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_schemas(swagger: Path, target: Path) -> int:
    """Write the schemas of `swagger` into `target`; returns how many kinds."""
    spec = json.loads(swagger.read_text())
    partial = target.with_name(target.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    definitions = {name: _strict(node) for name, node in spec["definitions"].items()}
    (partial / "_definitions.json").write_text(json.dumps({"definitions": definitions}))
    count = 0
    for name, node in spec["definitions"].items():
        for gvk in node.get("x-kubernetes-group-version-kind", []):
            group = gvk["group"].split(".")[0]
            parts = [gvk["kind"], group, gvk["version"]] if group else [gvk["kind"], gvk["version"]]
            ref = {"$ref": f"_definitions.json#/definitions/{name}"}
            (partial / f"{'-'.join(parts).lower()}.json").write_text(json.dumps(ref))
            count += 1
    partial.rename(target)
    return count


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get("format") == "int-or-string":
            return {"oneOf": [{"type": "string"}, {"type": "integer"}]}
        fixed = {key: _strict(value) for key, value in node.items()}
        if fixed.get("type") == "object" and "properties" in fixed and "additionalProperties" not in fixed:
            fixed["additionalProperties"] = False
        return fixed
    if isinstance(node, list):
        return [_strict(item) for item in node]
    return node
