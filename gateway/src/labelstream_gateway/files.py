"""A sample's source file for the image editor (GET /api/files/datasets/{id}/samples/{sample_id}): the gateway
looks the sample up in dataset-svc, then streams the object from storage through a presigned URL it signs itself
and never hands out, so the browser sees neither storage credentials nor the storage endpoint."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.responses import Response, StreamingResponse
from labelstream_shared.errors import NotFoundError
from labelstream_shared.web import app_deps
from starlette.background import BackgroundTask

from labelstream_gateway.auth_api import Caller
from labelstream_gateway.proxy import GatewayDeps
from labelstream_gateway.upstream import fetch

router = APIRouter(prefix="/api/files", tags=["files"])
PRESIGNED_TTL = timedelta(minutes=2)
# Served with their own type; anything else is served as bytes (never as HTML or script from a bucket).
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp", "image/tiff")
Presign = Callable[[str, str], str]


Deps = Annotated[GatewayDeps, Depends(app_deps)]


@router.get("/datasets/{dataset_id}/samples/{sample_id}", operation_id="getSourceFile")
async def source_file(dataset_id: str, sample_id: str, _who: Caller, deps: Deps) -> Response:
    # the ids are path segments: any character (control, ?, #, ..) reaches dataset-svc as the id it is
    path = f"/api/datasets/{quote(dataset_id, safe='')}/samples/{quote(sample_id, safe='')}"
    status, found = await fetch(deps.client, "GET", f"{deps.upstreams['dataset-svc']}{path}")
    if status != 200:
        raise NotFoundError(f"sample {sample_id!r} not found in dataset {dataset_id!r}")
    sample = json.loads(found)
    if deps.presign is None:
        raise NotFoundError("object storage is not configured")
    url = await asyncio.to_thread(deps.presign, sample["bucket"], sample["key"])
    upstream = await deps.client.open("GET", url)
    if upstream.status != 200:
        await upstream.close()
        raise NotFoundError(f"the source object of sample {sample_id!r} is gone")
    kind = (upstream.header(b"content-type") or "").split(";")[0].strip().lower()
    headers = {
        "Content-Type": kind if kind in IMAGE_TYPES else "application/octet-stream",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=300",
    }
    if upstream.length is not None:
        headers["Content-Length"] = str(upstream.length)
    return StreamingResponse(upstream.chunks(), headers=headers, background=BackgroundTask(upstream.close))
