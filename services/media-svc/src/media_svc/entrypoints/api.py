"""REST API of media-svc (through the gateway at /api/media/...): a sample's media record, its derived pictures,
exact frames at time points, frames of many time points in one pass, and the playable video with range requests."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import FileResponse, Response, StreamingResponse
from labelstream_shared.errors import InvalidInputError
from labelstream_shared.events.contracts import MediaKind, MediaMetadata, MediaPlayback
from labelstream_shared.web import app_deps, error_responses
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from media_svc.app.frames import Frames
from media_svc.app.ports import MediaStore
from media_svc.domain.records import DerivedFiles, JobStatus, MediaRecord

router = APIRouter(prefix="/api/media/datasets/{dataset_id}/samples/{sample_id}", tags=["media"])
JPEG = "image/jpeg"
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
MAX_RANGE_BYTES = 8 * 1024 * 1024  # an open-ended range is answered with at most this much


@dataclass(frozen=True)
class MediaDeps:
    frames: Frames
    store: MediaStore
    work_dir: str | None = None


Deps = Annotated[MediaDeps, Depends(app_deps)]


class MediaPublic(BaseModel):
    sample_id: str
    dataset_id: str
    bucket: str
    key: str
    etag: str
    kind: MediaKind
    status: JobStatus
    failure_reason: str | None
    metadata: MediaMetadata | None
    derived: DerivedFiles | None
    playback: MediaPlayback | None

    @classmethod
    def of(cls, record: MediaRecord) -> MediaPublic:
        return cls.model_validate({**record.model_dump(), "sample_id": record.id})


@router.get("", operation_id="getMedia")
async def get_media(dataset_id: str, sample_id: str, deps: Deps) -> MediaPublic:
    """The sample's media: processing status (queued, running, ready, failed with a reason), metadata, derived
    files and how the browser plays it."""
    return MediaPublic.of(await deps.frames.record(dataset_id, sample_id))


def _picture(which: str) -> Callable[[str, str, MediaDeps], Awaitable[Response]]:
    async def get_picture(dataset_id: str, sample_id: str, deps: Deps) -> Response:
        data = await deps.frames.derived(dataset_id, sample_id, which=which)
        return Response(data, media_type=JPEG, headers={"Cache-Control": "private, max-age=86400"})

    get_picture.__doc__ = f"The sample's {which} (JPEG)."
    return get_picture


for _which in ("thumbnail", "poster", "timeline"):
    router.add_api_route(
        f"/{_which}",
        _picture(_which),
        methods=["GET"],
        operation_id=f"get{_which.title()}",
        response_class=Response,
        responses={200: {"content": {JPEG: {}}}},
    )


@router.get(
    "/frame",
    operation_id="getFrame",
    response_class=Response,
    responses={200: {"content": {JPEG: {}}}, **error_responses(409)},
)
async def get_frame(
    dataset_id: str,
    sample_id: str,
    deps: Deps,
    t: Annotated[float | None, Query(ge=0, description="time point in seconds from the first frame")] = None,
    n: Annotated[int | None, Query(ge=0, description="frame index (0 is the first frame)")] = None,
) -> Response:
    """The exact frame shown at time point `t` (or frame `n`), as a player shows it (rotation applied)."""
    jpeg, index = await deps.frames.frame(dataset_id, sample_id, t=t, n=n)
    headers = {"X-Frame-Index": str(index), "Cache-Control": "private, max-age=86400"}
    return Response(jpeg, media_type=JPEG, headers=headers)


class FramesRequest(BaseModel):
    times: list[float] | None = Field(default=None, max_length=10_000, description="time points in seconds")
    frame_indices: list[int] | None = Field(default=None, max_length=10_000)


@router.post(
    "/frames",
    operation_id="extractFrames",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}, **error_responses(409)},
)
async def extract_frames(dataset_id: str, sample_id: str, body: FramesRequest, deps: Deps) -> Response:
    """The frames of many time points in one pass over the video: a zip of JPEGs named frame_<index>.jpg."""
    handle, path = tempfile.mkstemp(prefix="frames-", suffix=".zip", dir=deps.work_dir)
    os.close(handle)
    try:
        await deps.frames.extract(dataset_id, sample_id, times=body.times, indices=body.frame_indices, out_path=path)
    except BaseException:
        os.unlink(path)
        raise
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"{sample_id}-frames.zip",
        background=BackgroundTask(os.unlink, path),
    )


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a Range header, None for the whole file."""
    if header is None:
        return None
    match = RANGE.match(header.strip())
    if match is None or (not match.group(1) and not match.group(2)):
        raise InvalidInputError("range: only one range of bytes is supported, e.g. bytes=0-1023")
    first_text, last_text = match.groups()
    if not first_text:
        first, last = max(0, size - int(last_text)), size - 1
    else:
        first = int(first_text)
        last = min(int(last_text), size - 1) if last_text else min(size - 1, first + MAX_RANGE_BYTES - 1)
    return first, last


@router.get(
    "/video",
    operation_id="getPlayableVideo",
    response_class=StreamingResponse,
    responses={
        206: {"description": "the requested range (Range header)"},
        416: {"description": "the range starts past the end (Content-Range names the size)"},
        **error_responses(409),
    },
)
async def get_video(
    dataset_id: str, sample_id: str, deps: Deps, range_header: Annotated[str | None, Header(alias="Range")] = None
) -> Response:
    """The browser-playable video (the source, or its H.264/MP4 transcode), with range requests (206)."""
    bucket, key, size = await deps.frames.playable(dataset_id, sample_id)
    content_type = "video/mp4" if key.endswith((".mp4", ".mov", ".m4v")) else "video/webm"
    try:
        byte_range = _byte_range(range_header, size)
    except InvalidInputError:
        byte_range = None
    if byte_range is not None and byte_range[0] >= size:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    first, last = byte_range or (0, size - 1)
    headers = {"Accept-Ranges": "bytes", "Content-Length": str(last - first + 1)}
    if byte_range is not None:
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"

    async def body() -> AsyncIterator[bytes]:
        with contextlib.suppress(GeneratorExit):
            async for chunk in deps.store.read_range(bucket, key, offset=first, length=last - first + 1):
                yield chunk

    status = 206 if byte_range is not None else 200
    return StreamingResponse(body(), status_code=status, media_type=content_type, headers=headers)
