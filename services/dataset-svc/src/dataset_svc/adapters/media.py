"""media-svc as the exports use it: the frames of a video, extracted in one pass per request (media-svc's
`POST .../frames`, a zip of `frame_<index>.jpg`), read from a temporary file. Blocking (the export's thread)."""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Iterator

import httpx

BATCH = 10_000  # frames per request (media-svc's limit)
TIMEOUT_S = 600.0
_FRAME = re.compile(r"^frame_(\d+)\.jpg$")


class MediaSvcFrames:
    def __init__(self, base_url: str) -> None:
        self._base_url = base_url.rstrip("/")

    def frames(self, dataset_id: str, sample_id: str, frames: list[int]) -> Iterator[tuple[int, bytes]]:
        url = f"{self._base_url}/api/media/datasets/{dataset_id}/samples/{sample_id}/frames"
        with httpx.Client(timeout=TIMEOUT_S) as client:
            for start in range(0, len(frames), BATCH):
                yield from self._batch(client, url, frames[start : start + BATCH])

    def _batch(self, client: httpx.Client, url: str, frames: list[int]) -> Iterator[tuple[int, bytes]]:
        with tempfile.TemporaryFile() as spool:
            with client.stream("POST", url, json={"frame_indices": frames}) as response:
                if response.status_code != 200:
                    response.read()
                    raise RuntimeError(f"media-svc could not extract frames ({response.status_code}): {response.text}")
                for chunk in response.iter_bytes():
                    spool.write(chunk)
            spool.seek(0)
            with zipfile.ZipFile(spool) as archive:
                found = sorted((int(m[1]), n) for n in archive.namelist() if (m := _FRAME.match(n)))
                for index, name in found:
                    yield index, archive.read(name)
