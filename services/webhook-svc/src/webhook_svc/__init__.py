"""webhook-svc: signed webhooks delivered from the platform's events."""
