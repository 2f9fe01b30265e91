"""Acceptance (issue 14): the `labelstream` command line against the running platform: log in, create a dataset,
upload a folder of 200 pictures with a progress bar, `sync --wait`, `export --format coco --output` (the archive's
SHA-256 checked against the API's), and the same upload again transfers nothing."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from labelstream import Client
from labelstream.cli.main import main
from labelstream.errors import Forbidden

from conftest import GATEWAY_URL
from tests.client_world import picture, until
from tests.storage import ensure_bucket, minio_client
from tests.support import GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD

pytestmark = pytest.mark.e2e
PICTURES = 200


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    """Run the command line in-process with --json: (exit code, the parsed stdout, stderr)."""
    code = main(["--url", GATEWAY_URL, "--json", *args])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


@pytest.fixture
def logged_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    config = tmp_path / "config"
    monkeypatch.setenv("LABELSTREAM_CONFIG_DIR", str(config))
    monkeypatch.delenv("LABELSTREAM_USERNAME", raising=False)
    monkeypatch.delenv("LABELSTREAM_PASSWORD", raising=False)
    code, answer, _ = cli(capsys, "login", "-u", GATEWAY_ADMIN, "-p", GATEWAY_ADMIN_PASSWORD)
    assert code == 0 and answer["role"] == "admin"
    assert (config / "session.json").stat().st_mode & 0o777 == 0o600
    return config


def test_upload_sync_export_and_upload_again(
    logged_in: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], unique: str
) -> None:
    bucket = f"e2e-cli-{unique}"
    ensure_bucket(minio_client(), bucket)
    folder = tmp_path / "pictures"
    for n in range(PICTURES):
        (folder / f"batch{n % 4}").mkdir(parents=True, exist_ok=True)
        (folder / f"batch{n % 4}" / f"p{n:03d}.png").write_bytes(picture(n))

    code, dataset, _ = cli(
        capsys, "datasets", "create", f"cli {unique}", "--type", "object_detection", "--input", f"{bucket}/in/",
        "--output", f"{bucket}/out/", "--label", "cat:#ff0000",
    )  # fmt: skip
    assert code == 0, dataset

    code, uploaded, progress = cli(capsys, "upload", dataset["id"], str(folder), "--jobs", "4")
    assert code == 0, progress
    assert (uploaded["uploaded"], uploaded["unchanged"], uploaded["failed"]) == (PICTURES, 0, 0)
    assert re.search(rf"upload\s+━+\s+{PICTURES}/{PICTURES}", progress), progress  # the bar, drawn on stderr

    code, run, progress = cli(capsys, "sync", dataset["name"], "--wait")
    assert code == 0 and run["status"] == "succeeded", run
    assert re.search(r"sync succeeded\s+━+", progress), progress

    with Client(GATEWAY_URL, username=GATEWAY_ADMIN, password=GATEWAY_ADMIN_PASSWORD) as client:
        listed = lambda: client.samples.page(dataset["id"], limit=1).counts.all == PICTURES  # noqa: E731
        until(listed, timeout=60, what="dataset-svc lists the 200 uploaded pictures")
        names = sorted(s.key for s in client.samples.list(dataset["id"]))
    assert names == sorted(f"in/batch{n % 4}/p{n:03d}.png" for n in range(PICTURES))

    out = tmp_path / "exports"
    code, exported, progress = cli(capsys, "export", dataset["id"], "--format", "coco", "--output", str(out))
    assert code == 0, progress
    assert exported["sha256_verified"] and exported["export"]["status"] == "completed"
    archive = Path(exported["path"])
    assert archive.parent == out
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == exported["export"]["archive"]["sha256"]
    with zipfile.ZipFile(archive) as zipped:
        coco = json.loads(next(zipped.read(n) for n in zipped.namelist() if n.endswith(".json")))
    assert len(coco["images"]) == PICTURES
    assert re.search(r"export completed\s+━+", progress) and re.search(r"download\s+━+", progress), progress

    code, again, progress = cli(capsys, "upload", dataset["id"], str(folder))
    assert code == 0
    assert re.search(rf"checking\s+━+\s+{PICTURES}/{PICTURES}", progress), progress
    assert (again["uploaded"], again["unchanged"], again["failed"]) == (0, PICTURES, 0)


def test_exit_codes_say_what_went_wrong(logged_in: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "datasets", "show", "no-such-dataset-anywhere")
    assert code == 3 and "not found" in err
    code, _, err = cli(
        capsys, "datasets", "create", "x", "--type", "nonsense", "--input", "nobucket/", "--output", "nobucket/"
    )
    assert code == 2 and "labeling_type" in err
    assert cli(capsys, "logout")[1] == {"logged_out": True}
    code, _, err = cli(capsys, "datasets", "ls")
    assert code == 5 and "labelstream login" in err


def test_an_admin_disables_and_enables_a_user(logged_in: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = f"cli-dis-{uuid.uuid4().hex[:8]}"
    code, made, _ = cli(capsys, "users", "create", name, "--role", "annotator", "--password", "pw-cli-dis")
    assert code == 0 and made == {"username": name, "role": "annotator", "disabled": False}
    code, disabled, _ = cli(capsys, "users", "set", name, "--disable")
    assert code == 0 and disabled["disabled"] is True
    listed = {u["username"]: u["disabled"] for u in cli(capsys, "users", "ls")[1]}
    assert listed[name] is True and listed[GATEWAY_ADMIN] is False
    with Client(GATEWAY_URL) as client, pytest.raises(Forbidden, match="is disabled"):
        client.login(name, "pw-cli-dis")
    assert cli(capsys, "users", "set", name, "--enable")[1]["disabled"] is False
    with Client(GATEWAY_URL, username=name, password="pw-cli-dis") as client:
        assert client.users.me().role == "annotator"
    assert cli(capsys, "users", "delete", name)[0] == 0
