"""Writes the OpenAPI documents of the services and the gateway as JSON, without starting anything.

Each app is built the way its process builds it, but never started: FastAPI's lifespan (where the wiring connects to
MongoDB, Kafka and MinIO) does not run, so `app.openapi()` needs no IO. Settings are the defaults with the `api` role
(`model_construct`: the environment is not read), so the documents do not depend on the machine. Keys are sorted and
the text ends with a newline: the same code gives the same bytes. Run by `npm run gen:api` (scripts/gen-api.mjs).

    python gateway/ui/scripts/dump_openapi.py OUT_DIR    # writes OUT_DIR/<name>.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI


def _dataset() -> FastAPI:
    from dataset_svc.bootstrap import create_app
    from dataset_svc.settings import DatasetSettings

    return create_app(DatasetSettings.model_construct(roles="api"))


def _labeling() -> FastAPI:
    from labeling_svc.bootstrap import create_app
    from labeling_svc.settings import LabelingSettings

    return create_app(LabelingSettings.model_construct(roles="api"))


def _media() -> FastAPI:
    from media_svc.bootstrap import create_app
    from media_svc.settings import MediaSettings

    return create_app(MediaSettings.model_construct(roles="api"))


def _sync() -> FastAPI:
    from sync_svc.bootstrap import create_app
    from sync_svc.settings import SyncSettings

    return create_app(SyncSettings.model_construct(roles="api"))


def _webhooks() -> FastAPI:
    from webhook_svc.bootstrap import create_app
    from webhook_svc.settings import WebhookSettings

    return create_app(WebhookSettings.model_construct(roles="api"))


def _gateway() -> FastAPI:
    from labelstream_gateway.bootstrap import create_app
    from labelstream_gateway.settings import GatewaySettings

    return create_app(GatewaySettings.model_construct(roles="api"))


# Document name -> the app it describes. The gateway's own API is auth, users, live events and source files; it
# forwards everything else to the services, whose documents describe those paths.
APPS: dict[str, Callable[[], FastAPI]] = {
    "dataset": _dataset,
    "labeling": _labeling,
    "media": _media,
    "sync": _sync,
    "webhooks": _webhooks,
    "gateway": _gateway,
}


def document_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_documents(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in APPS.items():
        path = out_dir / f"{name}.json"
        path.write_text(document_text(build().openapi()), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: dump_openapi.py OUT_DIR", file=sys.stderr)
        return 2
    for path in write_documents(Path(argv[0])):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
