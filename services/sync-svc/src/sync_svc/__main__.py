from __future__ import annotations

from labelstream_shared.serve import serve

from sync_svc.bootstrap import create_app
from sync_svc.settings import SyncSettings


def main() -> None:
    settings = SyncSettings()
    serve(lambda: create_app(settings), settings)


if __name__ == "__main__":
    main()
