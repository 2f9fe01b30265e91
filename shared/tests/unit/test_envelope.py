from __future__ import annotations

import json
from pathlib import Path

import pytest
from labelstream_shared.events import DatasetCreated, EventEnvelope, InvalidEventError, envelope_for
from labelstream_shared.events.contracts import EVENT_TYPES
from labelstream_shared.events.schemas import schema_files
from labelstream_testing.events import dataset_created

SCHEMA_DIR = Path(__file__).parents[2] / "schemas"


def test_envelope_is_a_cloudevent_keyed_by_the_entity() -> None:
    payload = dataset_created()
    envelope = envelope_for(payload, source="/labelstream/dataset-svc", correlation_id="c1")
    raw = json.loads(envelope.to_bytes())
    assert raw["specversion"] == "1.0"
    assert raw["type"] == "io.labelstream.DatasetCreated.v1"
    assert raw["subject"] == raw["partitionkey"] == "d1"
    assert raw["correlationid"] == "c1"
    assert EventEnvelope.from_bytes(envelope.to_bytes()) == envelope
    assert envelope.payload() == payload


@pytest.mark.parametrize("raw", [None, b"", b"{not json", b'{"specversion": "1.0"}'])
def test_garbage_is_an_invalid_event(raw: bytes | None) -> None:
    with pytest.raises(InvalidEventError):
        EventEnvelope.from_bytes(raw)


def test_unknown_type_and_bad_data_are_invalid() -> None:
    envelope = envelope_for(dataset_created(), source="/x", correlation_id="c")
    with pytest.raises(InvalidEventError, match="unknown event type"):
        envelope.model_copy(update={"type": "io.labelstream.Nope.v1"}).payload()
    with pytest.raises(InvalidEventError, match="invalid data"):
        envelope.model_copy(update={"data": {"dataset_id": "d1"}}).payload()


def test_a_newer_minor_field_is_tolerated() -> None:
    envelope = envelope_for(dataset_created(), source="/x", correlation_id="c")
    newer = envelope.model_copy(update={"data": {**envelope.data, "added_in_a_later_release": 1}})
    assert isinstance(newer.payload(), DatasetCreated)


def test_every_event_named_by_the_product_has_a_contract() -> None:
    names = {cls.event_name for cls in EVENT_TYPES.values()}
    expected = {"DatasetCreated", "DataAdded", "SampleDeleted", "SourceDeleted", "MediaProcessed"}
    assert names >= expected | {"LabelChanged", "VersionPublished"}


def test_exported_json_schemas_are_current() -> None:
    """shared/schemas is what consumers outside Python read: regenerate with `make schemas`."""
    for name, text in schema_files().items():
        path = SCHEMA_DIR / name
        assert path.exists(), f"missing {path}; run `make schemas`"
        assert path.read_text() == text, f"{path} is stale; run `make schemas`"
