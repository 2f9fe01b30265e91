"""Labelstream's shared contracts and plumbing. Services share this package and nothing else."""
