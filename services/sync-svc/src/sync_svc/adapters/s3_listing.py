"""ListObjectsV2, paged and parsed for speed.

The SDK's listing parses each page with ElementTree path lookups and strptime: about 45 µs of Python per object,
which held the GIL for most of a sync run. This pager asks for the same pages (signed by the SDK) and reads the
four fields it needs with compiled patterns: about 4 µs per object. Keys come URL-encoded (`encoding-type=url`),
so a key with characters XML cannot carry still round-trips.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import unquote_plus

from minio import Minio
from minio.helpers import DictType

from sync_svc.domain.objects import ListedObject

PAGE_SIZE = 1000  # the S3 maximum per request

_CONTENTS = re.compile(rb"<Contents>(.*?)</Contents>", re.DOTALL)
_KEY = re.compile(rb"<Key>(.*?)</Key>", re.DOTALL)
_ETAG = re.compile(rb"<ETag>(.*?)</ETag>", re.DOTALL)
_SIZE = re.compile(rb"<Size>(\d+)</Size>")
_MODIFIED = re.compile(rb"<LastModified>(.*?)</LastModified>")
_TRUNCATED = re.compile(rb"<IsTruncated>\s*true\s*</IsTruncated>", re.IGNORECASE)
_TOKEN = re.compile(rb"<NextContinuationToken>(.*?)</NextContinuationToken>", re.DOTALL)
_ENCODING = re.compile(rb"<EncodingType>url</EncodingType>")


class ListingError(RuntimeError):
    """A listing page the pager cannot read."""


def list_pages(client: Minio, bucket: str, prefix: str) -> Iterator[list[ListedObject]]:
    """Pages of up to 1,000 objects in key order (blocking: run it in a thread)."""
    token: str | None = None
    while True:
        query: DictType = {"list-type": "2", "delimiter": "", "encoding-type": "url", "max-keys": str(PAGE_SIZE)}
        query["prefix"] = prefix
        if token:
            query["continuation-token"] = token
        # the SDK signs, retries and maps S3 errors to S3Error; only the parsing is ours
        response = client._execute("GET", bucket, query_params=query)
        page, token = parse_page(response.data)
        yield page
        if token is None:
            return


def parse_page(body: bytes) -> tuple[list[ListedObject], str | None]:
    """The objects of one ListObjectsV2 response and the token of the next page (None on the last)."""
    url_encoded = _ENCODING.search(body) is not None
    objects = []
    for block in _CONTENTS.findall(body):
        key, etag, size = _KEY.search(block), _ETAG.search(block), _SIZE.search(block)
        if key is None or size is None:
            raise ListingError(f"a listed object without Key or Size: {block[:200]!r}")
        modified = _MODIFIED.search(block)
        objects.append(
            ListedObject(
                key=_text(key.group(1), url_encoded=url_encoded),
                size=int(size.group(1)),
                etag=_text(etag.group(1), url_encoded=False).strip('"') if etag else "",
                last_modified=datetime.fromisoformat(modified.group(1).decode()) if modified else None,
            )
        )
    if _TRUNCATED.search(body) is None:
        return objects, None
    token = _TOKEN.search(body)
    if token is None:
        raise ListingError("a truncated listing without NextContinuationToken")
    return objects, _text(token.group(1), url_encoded=False)


def _text(raw: bytes, *, url_encoded: bool) -> str:
    text = raw.decode()
    if "&" in text:
        text = html.unescape(text)
    return unquote_plus(text) if url_encoded else text
