from __future__ import annotations

from labelstream_shared.serve import serve

from dataset_svc.bootstrap import create_app
from dataset_svc.settings import DatasetSettings


def main() -> None:
    settings = DatasetSettings()
    serve(lambda: create_app(settings), settings)


if __name__ == "__main__":
    main()
