"""The Decoder port on two process pools: one for processing sources (probe, thumbnails, transcodes), one for
serving frames, so frames stay quick while sources are processed. Tasks go by name (see worker_init.run_named)."""

from __future__ import annotations

from collections.abc import Sequence

from media_svc.adapters.pool import ProcessPool
from media_svc.domain.frames import FrameTarget
from media_svc.domain.limits import MediaLimits, MediaRejectedError
from media_svc.domain.processed import Processed

TASKS = "media_svc.adapters.decoding.tasks"


class PooledDecoder:
    def __init__(
        self,
        *,
        processing: ProcessPool,
        frames: ProcessPool,
        limits: MediaLimits,
        task_timeout_s: float,
        transcode_timeout_s: float,
    ) -> None:
        self.processing = processing
        self.frames = frames
        self.limits = limits
        self.task_timeout_s = task_timeout_s
        self.transcode_timeout_s = transcode_timeout_s

    async def process(self, path: str, *, kind: str) -> Processed:
        processed: Processed = await self.processing.run(
            f"{TASKS}:process_source", path, kind=kind, limits=self.limits, timeout=self.task_timeout_s
        )
        return processed

    async def process_many(self, sources: Sequence[tuple[str, str]]) -> list[Processed | MediaRejectedError]:
        processed: list[Processed | MediaRejectedError] = await self.processing.run(
            f"{TASKS}:process_sources", list(sources), limits=self.limits, timeout=self.task_timeout_s
        )
        return processed

    async def frame(self, path: str, target: FrameTarget, *, rotation: int) -> bytes:
        jpeg: bytes = await self.frames.run(
            f"{TASKS}:frame_jpeg", path, target, rotation=rotation, timeout=self.task_timeout_s
        )
        return jpeg

    async def extract(self, path: str, targets: list[FrameTarget], *, rotation: int, out_path: str) -> int:
        written: int = await self.frames.run(
            f"{TASKS}:extract_frames",
            path,
            targets,
            rotation=rotation,
            out_path=out_path,
            timeout=self.transcode_timeout_s,
        )
        return written

    async def transcode(self, path: str, out_path: str, *, rotation: int) -> None:
        await self.processing.run(
            f"{TASKS}:transcode_to_h264", path, out_path, rotation=rotation, timeout=self.transcode_timeout_s
        )

    async def close(self) -> None:
        await self.processing.close()
        await self.frames.close()
