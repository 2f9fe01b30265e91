from __future__ import annotations

from labelstream_shared.serve import serve

from labeling_svc.bootstrap import create_app
from labeling_svc.settings import LabelingSettings


def main() -> None:
    settings = LabelingSettings()
    serve(lambda: create_app(settings), settings)


if __name__ == "__main__":
    main()
