"""Acceptance (issue 14): the version reader yields exactly a published version's manifest, its samples with their
labels as the API had them, and pictures equal to the source objects; it works as a torch-style Dataset."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from labelstream import Client
from labelstream.models import BucketPath
from labelstream.versions import S3Storage, VersionItem, VersionReader, read_manifest
from labelstream_testing.gateway import mp4
from PIL import Image

from tests.client_world import admin_client, box, pictures_dataset, until
from tests.storage import ensure_bucket, minio_client

pytestmark = pytest.mark.e2e


@pytest.fixture
def client() -> Iterator[Client]:
    with admin_client() as client:
        yield client


def storage() -> S3Storage:
    return S3Storage(
        os.environ.get("LS_S3_ENDPOINT", "127.0.0.1:9000"),
        access_key=os.environ.get("LS_S3_ACCESS_KEY", "labelstream"),
        secret_key=os.environ.get("LS_S3_SECRET_KEY", "labelstream-secret"),
    )


def test_the_reader_yields_the_manifest_s_samples_labels_and_pictures(
    client: Client, unique: str, tmp_path: Path
) -> None:
    world = pictures_dataset(client, unique, tmp_path, count=6)
    dataset_id = world.dataset.id
    ids = sorted(world.pictures)
    for n, sample_id in enumerate(ids[:4]):
        shapes = [box("cat", 1, 1, 5 + n, 5), box("dog", 2, 2, 9, 9)][: 1 + n % 2]
        client.annotations.save(dataset_id, sample_id, shapes, revision=0)
    labels = {i: client.annotations.get(dataset_id, i) for i in ids}

    def projected() -> bool:  # a version holds the labels dataset-svc has applied (from LabelChanged)
        return {s.id for s in client.samples.list(dataset_id, tab="labeled")} == set(ids[:4])

    until(projected, timeout=60, what="dataset-svc applied the labels")

    version = client.versions.wait(dataset_id, client.versions.publish(dataset_id, description="for training").id)
    assert version.status == "published" and version.sample_count == 6
    reader = VersionReader.open(client, world.dataset.name, version.name, storage=storage())

    manifest = read_manifest(storage().read(version.manifest.bucket, version.manifest.key).decode().splitlines())
    assert [s.sample_id for s in reader.samples] == [s.sample_id for s in manifest]
    assert len(reader) == version.sample_count and sorted(s.sample_id for s in reader.samples) == ids
    for item in reader:
        expected = labels[item.sample.sample_id]
        assert item.shapes == tuple(expected.shapes)
        assert item.sample.label_revision == expected.revision
        source = np.asarray(Image.open(io.BytesIO(world.pictures[item.sample.sample_id])))
        assert np.array_equal(item.image, source) and item.image.shape == (12, 16, 3)

    mixed = VersionReader.open(client, dataset_id, None, storage=storage(), pictures_from_storage=False)
    assert mixed.version is not None and mixed.version.id == version.id  # the current one
    assert np.array_equal(mixed[0].image, reader[0].image)

    # with a token alone: the manifest (as stored) and the pictures through the gateway
    stored = storage().read(version.manifest.bucket, version.manifest.key)
    assert client.versions.manifest(dataset_id, version.id) == stored
    through_gateway = VersionReader.open(client, dataset_id, version.id)
    assert through_gateway.samples == reader.samples
    assert all(np.array_equal(a.image, b.image) for a, b in zip(through_gateway, reader, strict=True))


def test_the_reader_is_a_dataset_with_a_transform(client: Client, unique: str, tmp_path: Path) -> None:
    world = pictures_dataset(client, unique, tmp_path, count=3)
    version = client.versions.wait(world.dataset.id, client.versions.publish(world.dataset.id).id)

    def to_training(item: VersionItem) -> tuple[np.ndarray, int]:
        return item.image.astype(np.float32) / 255, len(item.shapes)

    reader = VersionReader.open(client, world.dataset.id, version.id, storage=storage()).with_transform(to_training)
    assert len(reader) == 3
    image, shapes = reader[2]
    assert image.dtype == np.float32 and image.shape == (12, 16, 3) and shapes == 0
    assert [len(batch) for batch in (reader[0:2], reader[1:])] == [2, 2]


def test_a_video_sample_gives_its_exact_frames(client: Client, unique: str, tmp_path: Path) -> None:
    bucket = f"e2e-client-video-{unique}"
    ensure_bucket(minio_client(), bucket)
    dataset = client.datasets.create(
        name=f"client video {unique}", labeling_type="video_labeling",
        input_path=BucketPath(bucket=bucket, prefix="in/"), output_path=BucketPath(bucket=bucket, prefix="out/"),
    )  # fmt: skip
    client.sync_runs.wait_known(dataset.id)
    video = tmp_path / "clip.mp4"
    video.write_bytes(mp4(seconds=1.0, fps=10, width=160, height=120))
    client.imports.upload_file(dataset.id, video.name, video)
    until(
        lambda: [s.media_status for s in client.samples.list(dataset.id)] == ["ready"],
        timeout=60, what="media-svc probed the video",
    )  # fmt: skip
    version = client.versions.wait(dataset.id, client.versions.publish(dataset.id).id)

    [item] = VersionReader.open(client, dataset.id, version.name, storage=storage())
    assert item.sample.media_kind == "video" and item.sample.media is not None and item.sample.media.frame_count == 10
    first, later = item.frame(0), item.frame(5)
    assert first.shape == (120, 160, 3) and not np.array_equal(first, later)  # the square moved
