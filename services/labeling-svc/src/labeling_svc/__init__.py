"""labeling-svc: owns labeling jobs and annotations."""
