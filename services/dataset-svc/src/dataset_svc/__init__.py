"""dataset-svc: owns datasets, samples and versions."""
