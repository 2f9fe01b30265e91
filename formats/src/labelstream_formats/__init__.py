"""Labelstream's export and import formats."""
