"""The ListObjectsV2 page parser of sync-svc's pager (the pager itself runs against MinIO in integration)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sync_svc.adapters.s3_listing import ListingError, parse_page


def test_listing_page_parses_url_encoded_keys_escaped_etags_and_the_next_token() -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<Name>b</Name><Prefix></Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
        b"<IsTruncated>true</IsTruncated><NextContinuationToken>dG9rZW4+Lz0=</NextContinuationToken>"
        b"<Contents><Key>a%20b%2Bc%26.png</Key><LastModified>2026-11-22T22:00:01.123Z</LastModified>"
        b"<ETag>&#34;abc&#34;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>"
        b"<Contents><ETag>&quot;def&quot;</ETag><Size>0</Size><Key>x/%E5%9B%BE.jpg</Key></Contents>"
        b"<EncodingType>url</EncodingType></ListBucketResult>"
    )
    objects, token = parse_page(body)
    assert [(o.key, o.size, o.etag) for o in objects] == [("a b+c&.png", 12, "abc"), ("x/图.jpg", 0, "def")]
    assert objects[0].last_modified == datetime(2026, 11, 22, 22, 0, 1, 123000, tzinfo=UTC)
    assert objects[1].last_modified is None
    assert token == "dG9rZW4+Lz0="


def test_the_last_listing_page_has_no_token_and_a_broken_one_is_refused() -> None:
    last = b"<ListBucketResult><IsTruncated>false</IsTruncated><EncodingType>url</EncodingType></ListBucketResult>"
    assert parse_page(last) == ([], None)
    with pytest.raises(ListingError, match="without Key or Size"):
        parse_page(b"<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>")
    with pytest.raises(ListingError, match="NextContinuationToken"):
        parse_page(b"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>")
