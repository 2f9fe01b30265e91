"""What the Python client's end-to-end tests share: a logged-in client, and a dataset of small pictures uploaded
through the client, known to labeling-svc, ready to be labeled."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from labelstream import Client
from labelstream.errors import NotFound
from labelstream.models import BucketPath, Dataset, LabelDefinition, ShapeIn
from PIL import Image

from tests.storage import ensure_bucket, minio_client
from tests.support import GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD, gateway_url


def admin_client() -> Client:
    return Client(gateway_url(), username=GATEWAY_ADMIN, password=GATEWAY_ADMIN_PASSWORD)


def until(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f}s")
        time.sleep(0.1)


def picture(n: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (n % 256, (n * 7) % 256, (n * 13) % 256)).save(out, format="PNG")
    return out.getvalue()


def box(label: str, x0: float, y0: float, x1: float, y1: float) -> ShapeIn:
    return ShapeIn(kind="rectangle", label=label, points=[(x0, y0), (x1, y1)])


@dataclass(frozen=True)
class World:
    dataset: Dataset
    pictures: dict[str, bytes]  # sample id -> the source object's bytes


def pictures_dataset(client: Client, unique: str, tmp: Path, *, count: int) -> World:
    """A dataset (labels cat and dog) with `count` pictures uploaded through the client, each a sample that
    dataset-svc lists and labeling-svc can label."""
    bucket = f"e2e-client-{unique}"
    ensure_bucket(minio_client(), bucket)
    dataset = client.datasets.create(
        name=f"client {unique}", labeling_type="object_detection",
        input_path=BucketPath(bucket=bucket, prefix="in/"), output_path=BucketPath(bucket=bucket, prefix="out/"),
        labels=[LabelDefinition(name="cat", color="#ff0000"), LabelDefinition(name="dog", color="#00ff00")],
    )  # fmt: skip
    client.sync_runs.wait_known(dataset.id)
    by_key = {}
    for n in range(count):
        path = tmp / f"p{n:02d}.png"
        path.write_bytes(picture(n))
        client.imports.upload_file(dataset.id, path.name, path)
        by_key[f"in/{path.name}"] = path.read_bytes()
    until(lambda: client.samples.page(dataset.id, limit=1).counts.all == count, timeout=60, what="samples listed")
    pictures = {s.id: by_key[s.key] for s in client.samples.list(dataset.id)}

    def labelable() -> bool:
        try:
            return all(client.annotations.get(dataset.id, i) is not None for i in pictures)
        except NotFound:
            return False

    until(labelable, timeout=60, what="labeling-svc knows every sample")
    return World(dataset, pictures)
