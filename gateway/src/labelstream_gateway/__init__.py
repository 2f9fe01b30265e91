"""The gateway: one entry point for the REST API of every service and the web UI."""
