"""The SSRF guard applied to a URL: its shape, then every address its host resolves to (domain/targets.py)."""

from __future__ import annotations

from webhook_svc.app.ports import Resolver
from webhook_svc.domain.targets import check_addresses, literal_address, parse_target


async def check_target(url: str, *, resolver: Resolver, allow_private: bool) -> None:
    """Raise TargetRefusedError naming the problem when a webhook may not be sent to `url` now."""
    target = parse_target(url)
    literal = literal_address(target.host)
    addresses = [target.host] if literal is not None else await resolver.resolve(target.host)
    check_addresses(target.host, addresses, allow_private=allow_private)
