"""Export one JSON Schema per event type (envelope with its typed `data`) for consumers outside Python.

`python -m labelstream_shared.events.schemas DIR` writes them; a unit test keeps shared/schemas current.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from labelstream_shared.events.contracts import EVENT_TYPES, EventPayload
from labelstream_shared.events.envelope import EventEnvelope, schema_uri


def event_schema(payload: type[EventPayload]) -> dict[str, Any]:
    event_type = payload.event_type()
    envelope = EventEnvelope.model_json_schema()
    data = payload.model_json_schema(mode="serialization")
    definitions = {**envelope.pop("$defs", {}), **data.pop("$defs", {})}
    envelope["properties"]["type"] = {"const": event_type}
    envelope["properties"]["dataschema"] = {"const": schema_uri(event_type)}
    envelope["properties"]["data"] = data
    envelope["title"] = payload.event_name
    envelope["description"] = (payload.__doc__ or "").strip() or f"{payload.event_name} event"
    envelope["$id"] = schema_uri(event_type)
    envelope["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    envelope["x-kafka-topic"] = payload.topic
    if definitions:
        envelope["$defs"] = definitions
    return envelope


def schema_files() -> dict[str, str]:
    """File name -> JSON text, for every event type."""
    return {
        f"{event_type}.json": json.dumps(event_schema(payload), indent=2, sort_keys=True) + "\n"
        for event_type, payload in sorted(EVENT_TYPES.items())
    }


def export(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_files().items():
        path = directory / name
        path.write_text(text)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in export(Path(sys.argv[1] if len(sys.argv) > 1 else "shared/schemas")):
        print(path)
