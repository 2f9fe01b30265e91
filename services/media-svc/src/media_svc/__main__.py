from __future__ import annotations

from labelstream_shared.serve import serve

from media_svc.bootstrap import create_app
from media_svc.settings import MediaSettings


def main() -> None:
    settings = MediaSettings()
    serve(lambda: create_app(settings), settings)


if __name__ == "__main__":
    main()
