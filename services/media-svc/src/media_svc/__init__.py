"""media-svc: owns probing, thumbnails, frames and playable video (derived files in object storage)."""
