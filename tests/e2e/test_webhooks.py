"""Signed webhooks through the gateway: an admin registers a receiver on 127.0.0.1 (after allowing private targets;
refused before), saves an annotation through the labeling API, and the receiver gets the LabelChanged, signed with the
endpoint's secret; the delivery log shows it delivered; a non-admin may not see or touch webhooks."""

from __future__ import annotations

import json

import pytest
from labelstream_testing.labeling import LabelingPlatform, box
from labelstream_testing.webhook_receiver import Receiver, free_port
from webhook_svc.domain.signature import verify_signature

from tests.support import ensure_user, eventually, gateway_client, gateway_url

pytestmark = pytest.mark.e2e


async def test_a_saved_annotation_reaches_the_registered_receiver_signed(
    platform: LabelingPlatform, unique: str
) -> None:
    gateway = platform.gateway
    dataset_id = await platform.create_dataset(f"hooks-{unique}")
    receiver = Receiver(port=free_port(), dataset=dataset_id)
    body = {"url": receiver.url, "event_types": ["LabelChanged"], "description": f"e2e {unique}"}
    before = (await gateway.get("/api/webhooks/settings")).json()
    await gateway.put("/api/webhooks/settings", json={**before, "allow_private_targets": False})
    refused = await gateway.post("/api/webhooks", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["message"].startswith("url: 127.0.0.1 is a loopback address")
    assert (await gateway.put("/api/webhooks/settings", json={"allow_private_targets": True})).status_code == 200
    created = await gateway.post("/api/webhooks", json=body)
    assert created.status_code == 201, created.text
    endpoint = created.json()
    await receiver.start()
    try:
        (sample_id,) = await platform.add_images(dataset_id, ["a.png"])
        saved = await platform.save(dataset_id, sample_id, [box("cat", 1, 1, 9, 9)], revision=0, auth={})
        assert saved.status_code == 200, saved.text

        async def received() -> bool:
            return bool(receiver.delivered())

        await eventually(received, timeout=60, what="the LabelChanged reached the receiver")
    finally:
        await receiver.stop()
        await gateway.delete(f"/api/webhooks/{endpoint['id']}")
        await gateway.put("/api/webhooks/settings", json=before)  # as found: other tests see the default
    headers, raw, _ = next(r for r in receiver.requests if json.loads(r[1])["data"].get("dataset_id") == dataset_id)
    assert verify_signature(endpoint["secret"], headers["Labelstream-Signature"], raw)
    event = json.loads(raw)
    assert (event["type"], event["data"]["sample_id"], event["data"]["revision"]) == (
        "io.labelstream.LabelChanged.v1", sample_id, 1,
    )  # fmt: skip
    assert headers["Labelstream-Event-Id"] == event["id"]


async def test_only_admins_manage_webhooks(unique: str) -> None:
    headers = await ensure_user(f"hooks-annotator-{unique}", "annotator", "hooks-pw-1")
    async with gateway_client(headers, base_url=gateway_url()) as annotator:
        assert (await annotator.get("/api/webhooks")).status_code == 403
        assert (await annotator.get("/api/webhooks/settings")).status_code == 403
        created = await annotator.post("/api/webhooks", json={"url": "https://example.com/", "event_types": ["*"]})
        assert created.status_code == 403
