"""Containers: our dockerd, the debootstrap base image, the images and docker-compose.yml (make compose-up)."""
