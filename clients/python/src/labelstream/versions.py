"""Published versions for training: a version's manifest (JSON Lines in the dataset's output path, one sample per
line with its labels as they were when the version was published) and each sample's picture, loaded when asked for.

    reader = VersionReader.open(client, "cats", "V003")   # through the gateway: a token is all it takes
    reader = VersionReader.open(client, "cats", "V003", storage=S3Storage(...))   # or object storage (extra [s3])
    for item in reader:                       # or reader[i]: a torch Dataset, without torch
        item.sample.shapes, item.image        # numpy array (H, W, C), read on first use
    frame = item.frame(12)                    # a video's exact frame, through the gateway (media-svc)

`VersionReader` has `__len__` and `__getitem__`, so `torch.utils.data.DataLoader(reader, ...)` takes it as it is;
`transform` turns an item into what the training code wants (tensors, ...)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, Protocol, TypeVar, overload

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from pydantic import BaseModel, ConfigDict

from labelstream.client import Client
from labelstream.models import MediaMetadata, Shape, Version

T = TypeVar("T")


class ManifestSample(BaseModel):
    """One line of a version's manifest."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    sample_id: str
    source: str  # s3://bucket/key
    media_kind: str  # image, video
    media: MediaMetadata | None = None
    status: str
    hard_example: bool = False
    labeled_by: str | None = None
    label_revision: int = 0
    shapes: tuple[Shape, ...] = ()

    @property
    def bucket(self) -> str:
        return self.source.removeprefix("s3://").split("/", 1)[0]

    @property
    def key(self) -> str:
        return self.source.removeprefix("s3://").split("/", 1)[1]


class ObjectStorage(Protocol):
    """Where the manifest (and, when given, the source objects) are read from."""

    def read(self, bucket: str, key: str) -> bytes: ...


class S3Storage:
    """S3-compatible object storage (MinIO locally) through the `minio` package (extra `[s3]`)."""

    def __init__(self, endpoint: str, *, access_key: str, secret_key: str, secure: bool = False) -> None:
        from minio import Minio

        self._client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure)

    def read(self, bucket: str, key: str) -> bytes:
        answer = self._client.get_object(bucket, key)
        try:
            return bytes(answer.read())
        finally:
            answer.close()
            answer.release_conn()


class Media(Protocol):
    """A sample's bytes: the source picture, a video's frame as JPEG."""

    def picture(self, sample: ManifestSample) -> bytes: ...

    def frame(self, sample: ManifestSample, index: int) -> bytes: ...


@dataclass(frozen=True)
class PlatformMedia:
    """Pictures from object storage when `storage` is given, else through the gateway; frames from media-svc."""

    client: Client
    dataset_id: str
    storage: ObjectStorage | None = None

    def picture(self, sample: ManifestSample) -> bytes:
        if self.storage is not None:
            return self.storage.read(sample.bucket, sample.key)
        return self.client.samples.source(self.dataset_id, sample.sample_id)

    def frame(self, sample: ManifestSample, index: int) -> bytes:
        return self.client.samples.frame(self.dataset_id, sample.sample_id, index=index)


def decode(data: bytes) -> NDArray[np.uint8]:
    """A picture's pixels as stored (no EXIF rotation applied): (H, W) or (H, W, C) unsigned bytes."""
    with Image.open(io.BytesIO(data)) as picture:
        return np.asarray(picture.convert("RGB") if picture.mode in ("P", "CMYK", "YCbCr", "I;16") else picture)


class VersionItem:
    """A sample of the version with its labels; its picture is read on first use (and kept)."""

    def __init__(self, sample: ManifestSample, media: Media) -> None:
        self.sample = sample
        self._media = media

    @property
    def shapes(self) -> tuple[Shape, ...]:
        return self.sample.shapes

    @cached_property
    def image(self) -> NDArray[np.uint8]:
        if self.sample.media_kind != "image":
            raise ValueError(f"sample {self.sample.sample_id} is a {self.sample.media_kind}: use frame(index)")
        return decode(self._media.picture(self.sample))

    def frame(self, index: int) -> NDArray[np.uint8]:
        """A video's exact frame `index` (0 is the first), as a player shows it."""
        return decode(self._media.frame(self.sample, index))


class VersionReader(Generic[T]):
    """The samples of a published version, in the manifest's order; a sequence (len, indexing, iteration) of
    `transform(item)` (the `VersionItem` itself without a transform)."""

    def __init__(
        self,
        samples: Sequence[ManifestSample],
        *,
        media: Media,
        transform: Callable[[VersionItem], T] | None = None,
        version: Version | None = None,
    ) -> None:
        self.samples = list(samples)
        self.version = version
        self._media = media
        self._transform = transform

    @staticmethod
    def open(
        client: Client,
        dataset: str,
        version: str | None = None,
        *,
        storage: ObjectStorage | None = None,
        pictures_from_storage: bool = True,
    ) -> VersionReader[VersionItem]:
        """The version (id or name; None: the current one) of the dataset (id or name). Without `storage` the
        manifest and pictures come through the gateway (a token is all it takes); with it, from object storage
        (pictures through the gateway all the same with `pictures_from_storage=False`)."""
        found = client.datasets.resolve(dataset)
        chosen = client.versions.resolve(found.id, version)
        if chosen.status != "published":
            raise ValueError(f"version {chosen.name} is {chosen.status}, not published")
        if storage is None:
            manifest = client.versions.manifest(found.id, chosen.id)
        else:
            manifest = storage.read(chosen.manifest.bucket, chosen.manifest.key)
        lines = manifest.decode().splitlines()
        media = PlatformMedia(client, found.id, storage if pictures_from_storage else None)
        return VersionReader(read_manifest(lines), media=media, version=chosen)

    def with_transform(self, transform: Callable[[VersionItem], Any]) -> VersionReader[Any]:
        return VersionReader(self.samples, media=self._media, transform=transform, version=self.version)

    def __len__(self) -> int:
        return len(self.samples)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self._item(s) for s in self.samples[index]]
        return self._item(self.samples[index])

    def __iter__(self) -> Iterator[T]:
        return (self._item(s) for s in self.samples)

    def _item(self, sample: ManifestSample) -> T:
        item = VersionItem(sample, self._media)
        return self._transform(item) if self._transform is not None else item  # type: ignore[return-value]


def read_manifest(lines: Iterable[str]) -> list[ManifestSample]:
    return [ManifestSample.model_validate_json(line) for line in lines if line.strip()]
