"""What every service agrees on about a sample: how its id is derived and which statuses it has.

sync-svc derives the id when it registers an object; every other service receives it in events and never derives it
(tests and tools derive it with this function too)."""

from __future__ import annotations

import uuid
from typing import Literal

SampleStatus = Literal["unlabeled", "labeled"]
STATUSES: tuple[SampleStatus, ...] = ("unlabeled", "labeled")

_SAMPLE_NAMESPACE = uuid.UUID("0b5c3f4e-6a51-4c1e-9f53-1d1a5e0c7a11")


def sample_id_for(dataset_id: str, key: str) -> str:
    """Deterministic: the same object key in the same dataset is always the same sample (idempotent re-adds)."""
    return uuid.uuid5(_SAMPLE_NAMESPACE, f"{dataset_id}\x00{key}").hex
