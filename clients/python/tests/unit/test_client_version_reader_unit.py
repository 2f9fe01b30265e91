"""The version reader over a manifest and fake media: a sequence of items, pictures read lazily, transforms."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import numpy as np
import pytest
from labelstream.versions import ManifestSample, VersionItem, VersionReader, read_manifest
from PIL import Image

LINES = [
    {"sample_id": "a", "source": "s3://raw/in/a.png", "media_kind": "image", "status": "labeled", "label_revision": 2,
     "shapes": [{"shape_id": "s1", "kind": "rectangle", "label": "cat", "points": [[1, 1], [3, 3]]}]},
    {"sample_id": "b", "source": "s3://raw/in/sub/b.png", "media_kind": "image", "status": "unlabeled"},
    {"sample_id": "v", "source": "s3://raw/in/v.mp4", "media_kind": "video", "status": "unlabeled", "future": 1},
]  # fmt: skip


def png(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), color).save(out, format="PNG")
    return out.getvalue()


@dataclass
class FakeMedia:
    reads: list[str] = field(default_factory=list)

    def picture(self, sample: ManifestSample) -> bytes:
        self.reads.append(sample.key)
        return png((10, 20, 30))

    def frame(self, sample: ManifestSample, index: int) -> bytes:
        self.reads.append(f"{sample.key}#{index}")
        return png((index, 0, 0))


def reader(media: FakeMedia) -> VersionReader[VersionItem]:
    return VersionReader(read_manifest([json.dumps(line) for line in LINES] + [""]), media=media)


def test_items_follow_the_manifest_and_read_pictures_on_first_use() -> None:
    media = FakeMedia()
    items = reader(media)
    assert len(items) == 3 and [i.sample.sample_id for i in items] == ["a", "b", "v"]
    assert items[1].sample.bucket == "raw" and items[1].sample.key == "in/sub/b.png"
    assert media.reads == []
    first = items[0]
    assert first.shapes[0].label == "cat" and first.sample.label_revision == 2
    assert first.image.shape == (3, 4, 3) and first.image[0, 0].tolist() == [10, 20, 30]
    assert first.image is first.image and media.reads == ["in/a.png"]  # read once, kept


def test_a_video_gives_frames_not_an_image() -> None:
    media = FakeMedia()
    video = reader(media)[2]
    with pytest.raises(ValueError, match="frame"):
        _ = video.image
    assert video.frame(7)[0, 0, 0] == 7 and media.reads == ["in/v.mp4#7"]


def test_a_transform_makes_the_items_and_slices_work() -> None:
    shaped = reader(FakeMedia()).with_transform(lambda item: (item.sample.sample_id, len(item.shapes)))
    assert shaped[0] == ("a", 1)
    assert shaped[1:] == [("b", 0), ("v", 0)]
    assert list(shaped) == [("a", 1), ("b", 0), ("v", 0)]
    assert np.asarray([len(shaped)]).tolist() == [3]
