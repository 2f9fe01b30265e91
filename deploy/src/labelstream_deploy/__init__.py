"""Local launcher for Labelstream: real Kafka, MongoDB and MinIO plus the services, without Docker."""
