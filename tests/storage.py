"""Object storage helpers for the cross-service tests (the real MinIO the launcher started, or another one)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from minio import Minio
from minio.deleteobjects import DeleteObject

PNG_HEADER = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


def minio_client(endpoint: str | None = None) -> Minio:
    """The platform's MinIO (LS_S3_ENDPOINT, default the local one), or the one at `endpoint` (host:port)."""
    return Minio(
        endpoint or os.environ.get("LS_S3_ENDPOINT", "127.0.0.1:9000"),
        access_key=os.environ.get("LS_S3_ACCESS_KEY", "labelstream"),
        secret_key=os.environ.get("LS_S3_SECRET_KEY", "labelstream-secret"),
        secure=False,
    )


def ensure_bucket(client: Minio, bucket: str) -> None:
    if not client.bucket_exists(bucket):
        client.make_bucket(bucket)


def put_objects(client: Minio, bucket: str, keys: Iterable[str], content: bytes = PNG_HEADER) -> None:
    def put(key: str) -> None:
        client.put_object(bucket, key, io.BytesIO(content), len(content), content_type="image/png")

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(put, keys))


def delete_objects(client: Minio, bucket: str, keys: Iterable[str]) -> None:
    errors = list(client.remove_objects(bucket, (DeleteObject(k) for k in keys)))
    assert not errors, errors
