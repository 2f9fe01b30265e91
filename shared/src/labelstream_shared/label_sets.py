"""The rules of a label set, for every service that builds one (dataset-svc for a new dataset's first set,
labeling-svc, its owner, for every edit after that)."""

from __future__ import annotations

from collections.abc import Iterable

from labelstream_shared.errors import InvalidInputError
from labelstream_shared.events.contracts import LabelDefinition


def name_key(name: str) -> str:
    """Label names are unique ignoring case and surrounding blanks: 'Cat' and 'cat ' are one label."""
    return name.strip().casefold()


def check_label_set(labels: Iterable[LabelDefinition]) -> None:
    seen: set[str] = set()
    for label in labels:
        if not label.name.strip():
            raise InvalidInputError("labels: a label name must not be blank")
        if name_key(label.name) in seen:
            raise InvalidInputError(f"labels: duplicate label name {label.name.strip()!r}")
        seen.add(name_key(label.name))
