from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import TypeVar

import pytest
from sync_svc.domain.diff import Changed, New, Reappeared, Unchanged, Vanished, diff
from sync_svc.domain.imports import upload_key
from sync_svc.domain.media_kinds import Skipped, kind_from_content, kind_from_name
from sync_svc.domain.objects import KnownObject, ListedObject, sample_id_for

T = TypeVar("T")


async def stream(items: Iterable[T]) -> AsyncIterator[T]:
    for item in items:
        yield item


def listed(key: str, etag: str = "e1") -> ListedObject:
    return ListedObject(key=key, size=1, etag=etag)


def known(key: str, etag: str = "e1", *, missing: bool = False) -> KnownObject:
    return KnownObject.register(dataset_id="d", bucket="b", listed=listed(key, etag), media_kind="image").model_copy(
        update={"missing": missing}
    )


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("a/cat.JPG", "image"),
        ("a/cat.webp", "image"),
        ("clip.MKV", "video"),
        ("clip.webm", "video"),
        ("notes.txt", Skipped("unsupported file type .txt")),
        ("folder/", Skipped("folder marker")),
        ("no-extension", None),
    ],
)
def test_kind_from_name(key: str, expected: object) -> None:
    assert kind_from_name(key) == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0rest", "image"),
        (b"\x89PNG\r\n\x1a\nrest", "image"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image"),
        (b"\x00\x00\x00\x20ftypisom", "video"),
        (b"\x1a\x45\xdf\xa3rest", "video"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "video"),
        (b"%PDF-1.7", Skipped("content is not a supported image or video")),
        (b"", Skipped("empty object")),
    ],
)
def test_kind_from_content(head: bytes, expected: object) -> None:
    assert kind_from_content(head) == expected


def test_sample_ids_are_deterministic_per_dataset_and_key() -> None:
    assert sample_id_for("d1", "a.png") == sample_id_for("d1", "a.png")
    assert sample_id_for("d1", "a.png") != sample_id_for("d2", "a.png")


async def test_diff_merges_two_sorted_streams() -> None:
    bucket = [listed("a"), listed("b", "e2"), listed("c"), listed("e")]
    records = [known("b"), known("c"), known("d"), known("e", missing=True), known("f", missing=True)]
    result = [d async for d in diff(stream(bucket), stream(records))]
    assert [type(d) for d in result] == [New, Changed, Unchanged, Vanished, Reappeared]
    assert isinstance(result[3], Vanished)
    assert result[3].known.key == "d"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "must not be empty"),
        ("/abs.png", "relative path"),
        ("a/../b.png", "relative path"),
        ("nul\x00.png", "control characters"),
        ("x" * 256 + ".png", "at most 255 bytes"),
        ("é" * 128 + ".png", "at most 255 bytes"),  # 256 bytes in UTF-8, 132 characters
        ("/".join(["d" * 200] * 4) + "/" + "f" * 214 + ".png", "would be 1025 bytes, object storage allows 1024"),
    ],
)
def test_upload_names_are_refused_naming_the_problem(name: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        upload_key("in/", name)


def test_an_upload_key_is_the_name_under_the_prefix_up_to_1024_bytes() -> None:
    name = "/".join(["d" * 200] * 4) + "/" + "f" * 213 + ".png"
    assert len(upload_key("in/", name).encode()) == 1024
    assert upload_key("in/", "q?mark #1 100%.png") == "in/q?mark #1 100%.png"
