from __future__ import annotations

from labelstream_shared.serve import serve

from labelstream_gateway.bootstrap import create_app
from labelstream_gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    serve(lambda: create_app(settings), settings)


if __name__ == "__main__":
    main()
