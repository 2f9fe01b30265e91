"""Which local files an upload sends: pictures and videos under the folder, skipped when the sample at their key has
the same ETag (S3's, one part or many)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from labelstream.upload import local_files, s3_etag, to_send


def test_local_files_are_the_media_under_the_folder_by_name(tmp_path: Path) -> None:
    for name in ("b/2.png", "a.JPG", "notes.txt", ".hidden/x.png", "b/.y.png", "v.mp4"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert [f.name for f in local_files(tmp_path)] == ["a.JPG", "b/2.png", "v.mp4"]
    assert "notes.txt" in [f.name for f in local_files(tmp_path, all_files=True)]


def test_the_etag_is_s3_s_for_one_part_and_for_many(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"abcdefghij")
    assert s3_etag(path) == hashlib.md5(b"abcdefghij").hexdigest()
    parts = b"".join(hashlib.md5(p).digest() for p in (b"abcd", b"efgh", b"ij"))
    assert s3_etag(path, part_size=4) == f"{hashlib.md5(parts).hexdigest()}-3"


def test_only_files_whose_content_differs_are_sent(tmp_path: Path) -> None:
    for name, content in (("same.png", b"1"), ("changed.png", b"2"), ("new.png", b"3")):
        (tmp_path / name).write_bytes(content)
    stored = {"same.png": hashlib.md5(b"1").hexdigest(), "changed.png": hashlib.md5(b"old").hexdigest()}
    checked: list[int] = []
    send, same = to_send(local_files(tmp_path), stored, on_checked=lambda: checked.append(1))
    assert [f.name for f in send] == ["changed.png", "new.png"] and [f.name for f in same] == ["same.png"]
    assert len(checked) == 3
