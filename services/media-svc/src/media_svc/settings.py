from __future__ import annotations

from labelstream_shared.settings import ServiceSettings


class MediaSettings(ServiceSettings):
    service_name: str = "media-svc"
    http_port: int = 8003
    # derived files (thumbnails, posters, timelines, transcodes) go to this bucket, under deterministic keys
    derived_bucket: str = "labelstream-derived"
    # CPU work: processes decoding sources (probe, thumbnails) and processes serving frames, each pool bounded
    processing_workers: int = 1
    frame_workers: int = 1
    # media jobs are claimed and recorded in batches (one transaction each), sized to take about `batch_target_s`
    # (many tiny sources, few large ones); several batches under way, so downloads, decoding and commits overlap
    max_batch_jobs: int = 200
    batches_in_flight: int = 4
    batch_target_s: float = 1.0
    batch_transfers: int = 16  # downloads and uploads of a batch under way at once
    job_poll_interval_s: float = 0.1  # the worker claims again this soon when there was nothing to claim
    worker_memory_limit_bytes: int = 2 * 1024**3  # address-space limit of a decoding process
    task_timeout_s: float = 120.0  # a decoding task running longer is killed (its process pool restarted)
    transcode_timeout_s: float = 1800.0
    max_job_attempts: int = 3  # a job that crashed or timed out its decoder this often is marked failed
    # limits on what a source may be
    max_source_bytes: int = 20 * 1024**3
    max_image_pixels: int = 100_000_000
    max_video_pixels: int = 8192 * 8192
    max_duration_s: float = 24 * 3600.0
    max_frames: int = 5_000_000
    # derived files
    thumbnail_edge: int = 256
    timeline_frames: int = 10
    # caches: encoded frames in memory, source videos on local disk
    frame_cache_bytes: int = 32 * 1024**2
    source_cache_dir: str = ""  # default: <tmp>/labelstream-media-<port>
    source_cache_bytes: int = 4 * 1024**3
