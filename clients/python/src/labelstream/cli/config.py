"""Where the command line keeps its login: `session.json` in the user's config folder (platformdirs:
$XDG_CONFIG_HOME/labelstream on Linux; `LABELSTREAM_CONFIG_DIR` overrides), readable by the user alone (0600)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from platformdirs import user_config_dir
from pydantic import BaseModel

from labelstream.models import Session

DEFAULT_URL = "http://127.0.0.1:8000"


class Stored(BaseModel):
    url: str
    session: Session


def config_dir() -> Path:
    return Path(os.environ.get("LABELSTREAM_CONFIG_DIR") or user_config_dir("labelstream"))


def session_file() -> Path:
    return config_dir() / "session.json"


def load() -> Stored | None:
    path = session_file()
    return Stored.model_validate_json(path.read_text(encoding="utf-8")) if path.exists() else None


def save(stored: Stored) -> None:
    """Written with mode 0600 from the start (never readable by others, not even for a moment)."""
    path = session_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(path.name + ".tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(json.dumps(stored.model_dump(mode="json")))
    os.chmod(partial, 0o600)
    os.replace(partial, path)


def forget() -> bool:
    path = session_file()
    if not path.exists():
        return False
    path.unlink()
    return True
