"""Uploading a local folder into a dataset's input path, resumable: a file whose checksum equals the ETag of the
sample already at its key is skipped (S3's ETag: the MD5 of the content, or for an object stored in parts the MD5 of
the parts' MD5s with "-<parts>"; sync-svc stores uploads in parts of 16 MiB), the others are sent in parallel."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from labelstream.client import Client
from labelstream.errors import ApiError
from labelstream.models import Dataset

UPLOAD_PART_SIZE = 16 * 1024 * 1024  # sync-svc's part size for stored uploads
MEDIA_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".mp4", ".mov", ".mkv", ".webm", ".avi"}
)


@dataclass(frozen=True)
class LocalFile:
    path: Path
    name: str  # its path under the folder, with "/": the key under the dataset's input path
    size: int


@dataclass
class UploadReport:
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # name -> the API's message


def local_files(folder: Path, *, all_files: bool = False) -> list[LocalFile]:
    """The pictures and videos under `folder` (every file with `all_files`), hidden ones left out, by name."""
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        if all_files or path.suffix.lower() in MEDIA_SUFFIXES:
            found.append(LocalFile(path=path, name=relative.as_posix(), size=path.stat().st_size))
    return found


def s3_etag(path: Path, *, part_size: int = UPLOAD_PART_SIZE) -> str:
    """The ETag S3 gives the file's content when stored in parts of `part_size` (one part: its MD5)."""
    parts = []
    with path.open("rb") as f:
        while chunk := f.read(part_size):
            parts.append(hashlib.md5(chunk, usedforsecurity=False).digest())
    if len(parts) <= 1:
        return (parts[0] if parts else hashlib.md5(b"", usedforsecurity=False).digest()).hex()
    return f"{hashlib.md5(b''.join(parts), usedforsecurity=False).hexdigest()}-{len(parts)}"


def stored_etags(client: Client, dataset: Dataset) -> dict[str, str]:
    """Name under the input path -> the ETag of the sample at that key (samples the dataset lists now)."""
    prefix = dataset.input_path.prefix
    return {
        s.key.removeprefix(prefix): s.etag.strip('"')
        for s in client.samples.list(dataset.id)
        if s.bucket == dataset.input_path.bucket and s.key.startswith(prefix) and not s.source_missing
    }


def to_send(
    files: list[LocalFile], stored: dict[str, str], *, on_checked: Callable[[], None] | None = None
) -> tuple[list[LocalFile], list[LocalFile]]:
    """(those to upload, those already there with the same content)."""
    send: list[LocalFile] = []
    same: list[LocalFile] = []
    for f in files:
        (same if stored.get(f.name) == s3_etag(f.path) else send).append(f)
        if on_checked is not None:
            on_checked()
    return send, same


def upload(
    client: Client,
    dataset: Dataset,
    files: list[LocalFile],
    *,
    jobs: int = 4,
) -> Iterator[tuple[LocalFile, str | None]]:
    """Send the files, `jobs` at a time; yields each file with None once stored, or the API's message."""

    def send(f: LocalFile) -> tuple[LocalFile, str | None]:
        try:
            client.imports.upload_file(dataset.id, f.name, f.path)
            return f, None
        except ApiError as exc:
            return f, exc.message

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in as_completed([pool.submit(send, f) for f in files]):
            yield future.result()
