"""The README's Python snippets for training services ("For training services") run as written against the
platform, in order and sharing their names, with "cats" standing for a dataset this test makes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.client_world import admin_client, box, pictures_dataset, until
from tests.support import GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD

pytestmark = pytest.mark.e2e
README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## For training services"


def snippets() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_the_readme_snippets_run(
    unique: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    found = snippets()
    assert len(found) == 3
    with admin_client() as client:
        world = pictures_dataset(client, unique, tmp_path, count=2)
        sample_id = sorted(world.pictures)[0]
        client.annotations.save(world.dataset.id, sample_id, [box("cat", 1, 1, 5, 5)], revision=0)
        until(
            lambda: [s.id for s in client.samples.list(world.dataset.id, tab="labeled")] == [sample_id],
            timeout=60, what="dataset-svc applied the label",
        )  # fmt: skip
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "readme"}
    credentials = f"username={json.dumps(GATEWAY_ADMIN)}, password={json.dumps(GATEWAY_ADMIN_PASSWORD)}"
    for code in found:
        code = code.replace('"cats"', json.dumps(world.dataset.name))
        code = code.replace('username="admin", password="admin"', credentials)
        exec(compile(code, str(README), "exec"), namespace)
    printed = capsys.readouterr().out
    assert f"{sample_id} ['cat'] (12, 16, 3)" in printed
    assert "1 labeled samples" in printed
    assert (tmp_path / "labels.position.json").exists() and list((tmp_path / "exports").glob("*.zip"))
