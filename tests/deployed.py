"""The end-to-end smoke of a deployed platform (docker compose, the Helm chart on Kubernetes), from the outside:
a bucket in its MinIO, a dataset on it, sync, media processed with thumbnails, an annotation saved, and its
LabelChanged read from its Kafka by an outside consumer."""

from __future__ import annotations

import asyncio
import uuid

from labelstream_testing.gateway import png, synced_dataset
from labelstream_testing.labeling import box

from tests.storage import ensure_bucket, minio_client, put_objects
from tests.support import admin_headers, eventually, gateway_client, read_topic


async def end_to_end_smoke(*, gateway_url: str, minio: str, kafka: str, name: str) -> str:
    """Runs the smoke; returns the dataset's id. `minio` and `kafka` are host:port as seen from here."""
    unique = uuid.uuid4().hex[:10]
    bucket, prefix = f"{name}-{unique}", "images/"
    storage = minio_client(minio)
    await asyncio.to_thread(ensure_bucket, storage, bucket)
    for i, color in enumerate([(200, 40, 40), (40, 160, 60)]):
        content = png(160, 120, color, text=str(i))
        await asyncio.to_thread(put_objects, storage, bucket, [f"{prefix}{i}.png"], content)

    headers = await admin_headers(base_url=gateway_url)
    async with gateway_client(headers, base_url=gateway_url, timeout=60) as api:
        dataset_id = await synced_dataset(
            api,
            name=f"{name}-{unique}",
            labeling_type="object_detection",
            bucket=bucket,
            prefix=prefix,
            samples=2,
            labels=["cat", "dog"],
        )
        samples = (await api.get(f"/api/datasets/{dataset_id}/samples")).json()["items"]
        assert [s["media_status"] for s in samples] == ["ready", "ready"], samples
        sample_id = samples[0]["id"]
        thumbnail = await api.get(f"/api/media/datasets/{dataset_id}/samples/{sample_id}/thumbnail")
        assert thumbnail.status_code == 200 and thumbnail.headers["content-type"].startswith("image/"), thumbnail.text
        saved = await api.put(
            f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation",
            json={"shapes": [box("cat", 10, 10, 60, 50)]},
            headers={"If-Match": '"0"'},
        )
        assert saved.status_code == 200, saved.text

    async def label_changed() -> bool:
        events = await read_topic(kafka, "labelstream.labels", timeout_ms=2000)
        return any(e["type"].endswith(".LabelChanged.v1") and e.get("subject") == sample_id for e in events)

    await eventually(label_changed, timeout=60, what="the LabelChanged at an outside consumer of the platform's Kafka")
    return dataset_id
