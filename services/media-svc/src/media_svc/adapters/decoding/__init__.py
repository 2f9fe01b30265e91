"""Decoding with Pillow, PyAV and OpenCV. Everything here runs in worker processes (see adapters/pool.py):
plain functions from a local file to picklable results, raising MediaRejectedError with a reason."""
