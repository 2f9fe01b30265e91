from __future__ import annotations

import json

import pytest
from labelstream_shared.events import DataAdded, DatasetProjected, SourceDeleted
from labelstream_testing.events import dataset_created
from labelstream_testing.sync_fakes import FakeObjectStore, InMemorySyncTransaction, in_memory_runner
from sync_svc.app.handlers import subscriptions
from sync_svc.app.notifications import apply_bucket_changes
from sync_svc.domain.notifications import InvalidNotificationError, parse_notification


def minio_event(name: str, key: str, *, etag: str = "abc", sequencer: str = "1") -> bytes:
    """The shape MinIO publishes to Kafka (keys are URL-encoded)."""
    record = {
        "eventName": name,
        "eventTime": "2026-11-22T20:00:00.000Z",
        "s3": {
            "bucket": {"name": "raw-data"},
            "object": {"key": key, "size": 8, "eTag": etag, "sequencer": sequencer},
        },
    }
    return json.dumps({"EventName": name, "Key": f"raw-data/{key}", "Records": [record]}).encode()


def test_parses_created_and_removed_records() -> None:
    message_id, [change] = parse_notification(minio_event("s3:ObjectCreated:Put", "d1/a+cat%2B1.png"))
    assert (change.kind, change.key, change.etag, change.size) == ("created", "d1/a cat+1.png", "abc", 8)
    assert "d1/a+cat%2B1.png@1" in message_id
    _, [removed] = parse_notification(minio_event("s3:ObjectRemoved:Delete", "d1/a.png"))
    assert removed.kind == "removed"


@pytest.mark.parametrize("raw", [b"", b"not json", b"{}", b'{"Records": [{"eventName": 1}]}'])
def test_garbage_is_invalid(raw: bytes) -> None:
    with pytest.raises(InvalidNotificationError):
        parse_notification(raw)


async def test_notifications_add_and_flag_samples_of_covering_datasets() -> None:
    store = FakeObjectStore()
    run = in_memory_runner()
    register = subscriptions(store)[0]
    await run(lambda tx: register.handle(tx, dataset_created("d1"), None))  # type: ignore[arg-type]
    assert store.watched == {"raw-data"}

    async def notify(raw: bytes) -> None:
        _, changes = parse_notification(raw)

        async def work(tx: InMemorySyncTransaction) -> None:
            await apply_bucket_changes(tx, changes, store=store)

        await run(work)

    await notify(minio_event("s3:ObjectCreated:Put", "d1/cat.png"))
    await notify(minio_event("s3:ObjectCreated:Put", "d1/cat.png"))  # same etag: nothing new
    await notify(minio_event("s3:ObjectCreated:Put", "other/dog.png"))  # outside the input path
    await notify(minio_event("s3:ObjectCreated:Put", "d1/notes.txt"))  # not a sample
    await notify(minio_event("s3:ObjectRemoved:Delete", "d1/cat.png"))
    await notify(minio_event("s3:ObjectRemoved:Delete", "d1/cat.png"))
    payloads = [e.envelope.payload() for e in run.state.outbox]
    payloads = [p for p in payloads if not isinstance(p, DatasetProjected)]  # the datasets' registration
    assert [type(p).__name__ for p in payloads] == ["DataAdded", "SourceDeleted"]
    added, deleted = payloads
    assert isinstance(added, DataAdded)
    assert isinstance(deleted, SourceDeleted)
    assert added.origin == "notification"
    assert added.samples[0].key == "d1/cat.png"
    assert deleted.objects[0].sample_id == added.samples[0].sample_id
