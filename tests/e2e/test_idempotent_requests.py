"""A training service's POST that creates something may be sent again after its answer was lost (the client retries
a 502, a 504 or a dropped connection): with an `Idempotency-Key`, the repeats, even sent together, create one version
and one export, and each answers it; the key with another request is 409. Through the gateway on the real
platform."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from labelstream_testing.labeling import LabelingPlatform

from tests.exports import is_

pytestmark = pytest.mark.e2e


async def test_repeats_with_one_key_create_one_version_and_one_export(platform: LabelingPlatform) -> None:
    dataset_id = await platform.create_dataset(f"idem-{uuid.uuid4().hex[:8]}", labels=("cat",))
    versions = f"/api/datasets/{dataset_id}/versions"
    key = {"Idempotency-Key": uuid.uuid4().hex}

    async def publish(description: str = "nightly") -> tuple[int, dict[str, str]]:
        answer = await platform.gateway.post(versions, json={"description": description}, headers=key)
        return answer.status_code, answer.json()

    sent = await asyncio.gather(*(publish() for _ in range(3)))
    assert {status for status, _ in sent} == {202}
    assert len({body["id"] for _, body in sent}) == 1 and {body["name"] for _, body in sent} == {"V001"}
    status, refused = await publish("another")
    assert status == 409 and "was sent before with another request" in refused["message"]
    version_id = sent[0][1]["id"]
    await platform.wait_for(f"{versions}/{version_id}", what="published", check=is_("published"))
    assert [v["id"] for v in (await platform.gateway.get(versions)).json()["items"]] == [version_id]

    exports = f"{versions}/{version_id}/exports"
    key = {"Idempotency-Key": uuid.uuid4().hex}
    answers = await asyncio.gather(
        *(platform.gateway.post(exports, json={"format": "coco"}, headers=key) for _ in range(3))
    )
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["id"] for a in answers}) == 1
    listed = (await platform.gateway.get(f"/api/datasets/{dataset_id}/exports")).json()["items"]
    assert [e["id"] for e in listed] == [answers[0].json()["id"]]
