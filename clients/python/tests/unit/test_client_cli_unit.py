"""The command line without a platform: the stored session's file mode, exit codes of usage and login errors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from labelstream.cli import config
from labelstream.cli.main import main
from labelstream.models import Session, User


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LABELSTREAM_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.delenv("LABELSTREAM_USERNAME", raising=False)
    monkeypatch.delenv("LABELSTREAM_PASSWORD", raising=False)
    return tmp_path / "cfg"


def test_the_session_is_stored_for_the_user_alone(config_dir: Path) -> None:
    session = Session(token="t", expires_at=int(time.time()) + 60, user=User(username="ann", role="viewer"))
    config.save(config.Stored(url="http://gw", session=session))
    assert (config_dir / "session.json").stat().st_mode & 0o777 == 0o600
    loaded = config.load()
    assert loaded is not None and loaded.session.token == "t"
    assert config.forget() and config.load() is None and not config.forget()


def test_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets", "ls"]) == 5  # not logged in
    assert "labelstream login" in capsys.readouterr().err
    assert main(["datasets", "frobnicate"]) == 2  # usage
