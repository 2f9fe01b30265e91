"""sync-svc's own ListObjectsV2 pager against the real MinIO: the same objects as the SDK lists, odd keys too."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from labelstream_shared.storage import ObjectStorage
from sync_svc.adapters.s3_listing import list_pages
from sync_svc.settings import SyncSettings

pytestmark = pytest.mark.integration

ODD_KEYS = [
    "odd/a b+c.png",  # a space and a plus: form-encoding confuses the two
    "odd/amp&lt;x>.png",
    "odd/100%25.png",
    "odd/quote\"'.png",
    "odd/ünïcødé/图像.png",
    "odd/emoji-🙂.jpg",
    "odd/tab\tname.png",
    "odd/new\nline.png",  # XML 1.0 cannot carry it unless the listing URL-encodes keys
    "odd/deep/" + "x" * 200 + ".png",
]


def test_pager_lists_what_the_sdk_lists_page_by_page(unique: str) -> None:
    client = ObjectStorage(SyncSettings()).client
    bucket = f"it-pager-{unique}"
    client.make_bucket(bucket)
    plain = [f"many/{i:05d}.png" for i in range(2345)]  # three pages

    def put(key: str) -> None:
        client.put_object(bucket, key, io.BytesIO(b"x" * len(key)), len(key))  # sizes differ by key

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(put, [*plain, *ODD_KEYS]))

    for prefix in ("", "odd/", "many/", "nothing-here/"):
        pages = list(list_pages(client, bucket, prefix))
        listed = [o for page in pages for o in page]
        sdk = list(client.list_objects(bucket, prefix=prefix, recursive=True))
        assert [o.key for o in listed] == [o.object_name for o in sdk]
        assert [o.size for o in listed] == [o.size for o in sdk]
        assert [o.etag for o in listed] == [(o.etag or "").strip('"') for o in sdk]
        assert [o.last_modified for o in listed] == [o.last_modified for o in sdk]
        assert all(len(page) <= 1000 for page in pages)
    assert sorted(ODD_KEYS) == [o.key for page in list_pages(client, bucket, "odd/") for o in page]
