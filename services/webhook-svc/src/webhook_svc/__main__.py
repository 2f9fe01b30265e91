from __future__ import annotations

from labelstream_shared.serve import serve

from webhook_svc.bootstrap import create_app
from webhook_svc.settings import WebhookSettings


def main() -> None:
    settings = WebhookSettings()
    serve(lambda: create_app(settings), settings)


if __name__ == "__main__":
    main()
