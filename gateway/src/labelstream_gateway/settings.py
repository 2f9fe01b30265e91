from __future__ import annotations

from labelstream_shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"
    http_port: int = 8000
    roles: str = "api"  # the gateway runs no outbox relay and no Kafka consumer group (live updates read unkeyed)
    dataset_svc_url: str = "http://127.0.0.1:8001"
    labeling_svc_url: str = "http://127.0.0.1:8002"
    media_svc_url: str = "http://127.0.0.1:8003"
    sync_svc_url: str = "http://127.0.0.1:8004"
    webhook_svc_url: str = "http://127.0.0.1:8005"
    upstream_timeout_s: float = 30.0

    # Authentication: local users (argon2id hashes in the gateway's database), HMAC-signed short-lived tokens.
    auth_enabled: bool = True
    # Signing secret; empty: one is generated once and kept in the gateway's database (shared by its replicas).
    auth_secret: str = ""
    auth_token_ttl_s: int = 900
    # How long a replica may use a user's role and token generation without reading them again: only a backstop,
    # every replica forgets a user on the users collection's change event.
    auth_user_cache_s: float = 10.0
    # Failed logins allowed per user name and per client address within the window; then 429 until it ends.
    auth_login_failures_per_user: int = 5
    auth_login_failures_per_address: int = 20
    auth_login_window_s: int = 60
    # Addresses of reverse proxies in front of the gateway, comma-separated: from these peers the client address
    # is taken from X-Forwarded-For (the right-most entry that is not one of them); from others it is the peer.
    auth_trusted_proxies: str = ""
    # Created on start only when there is no user at all (local use: admin / admin; change it in deployments).
    auth_bootstrap_admin: str = "admin"
    auth_bootstrap_password: str = "admin"  # noqa: S105 - documented local default, created only into an empty store
    # Live updates: the event topics the gateway tails for the browser (no consumer group, from the end).
    live_updates: bool = True

    def trusted_proxies(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.auth_trusted_proxies.split(",") if p.strip())

    def upstreams(self) -> dict[str, str]:
        """Service name -> base URL."""
        return {
            "dataset-svc": self.dataset_svc_url,
            "labeling-svc": self.labeling_svc_url,
            "media-svc": self.media_svc_url,
            "sync-svc": self.sync_svc_url,
            "webhook-svc": self.webhook_svc_url,
        }
