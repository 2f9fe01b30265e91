from __future__ import annotations

from labelstream_shared.settings import ServiceSettings


class MediaSettings(ServiceSettings):
    service_name: str = "media-svc"
    http_port: int = 8003
