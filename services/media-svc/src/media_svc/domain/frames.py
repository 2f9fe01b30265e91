"""Time points of a video: which frame is shown at a timestamp or has an index, and the keyframe a decoder
seeks to for it. Built from the probe (every frame's presentation timestamp, in stream time base units).
Pure: no IO."""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from fractions import Fraction

from labelstream_shared.errors import InvalidInputError
from pydantic import BaseModel, ConfigDict, Field


class FrameIndex(BaseModel):
    """The presentation timestamps of a video's frames (sorted) and of its keyframes.

    Time points are relative to the first frame: t = 0 shows the first frame, and the frame shown at t is the last
    one whose timestamp is not after t (it stays on screen until the next one)."""

    model_config = ConfigDict(frozen=True)

    time_base_num: int = Field(gt=0)
    time_base_den: int = Field(gt=0)
    frame_pts: tuple[int, ...] = Field(min_length=1)
    keyframe_pts: tuple[int, ...] = Field(min_length=1)
    duration_s: float = Field(ge=0)

    @property
    def time_base(self) -> Fraction:
        return Fraction(self.time_base_num, self.time_base_den)

    @property
    def frame_count(self) -> int:
        return len(self.frame_pts)

    def time_of(self, pts: int) -> float:
        return float((pts - self.frame_pts[0]) * self.time_base)

    def frame_at_time(self, t: float) -> int:
        """The index of the frame shown at `t` seconds; 422 when t is outside the video."""
        if not 0 <= t <= self.duration_s:
            raise InvalidInputError(f"t: {t:g} s is outside the video (0 to {self.duration_s:g} s)")
        # the pts of t, rounded down to the time base (a frame at exactly t is shown at t)
        target = self.frame_pts[0] + int(Fraction(t).limit_denominator(10**9) / self.time_base + Fraction(1, 10**6))
        return max(0, bisect.bisect_right(self.frame_pts, target) - 1)

    def check_index(self, n: int) -> int:
        if not 0 <= n < self.frame_count:
            raise InvalidInputError(f"n: frame {n} is outside the video (0 to {self.frame_count - 1})")
        return n

    def keyframe_before(self, index: int) -> int:
        """The pts of the keyframe a decoder seeks to so that decoding forward reaches frame `index`."""
        pts = self.frame_pts[index]
        position = bisect.bisect_right(self.keyframe_pts, pts) - 1
        return self.keyframe_pts[max(position, 0)]

    def keyframe_interval_s(self) -> float:
        points = [*self.keyframe_pts, self.frame_pts[-1]]
        gaps = [b - a for a, b in itertools.pairwise(points)]
        return float(max(gaps, default=0) * self.time_base)

    def variable_frame_rate(self) -> bool:
        gaps = {b - a for a, b in itertools.pairwise(self.frame_pts)}
        return len(gaps) > 1 and max(gaps) - min(gaps) > max(1, min(gaps) // 100)


def parse_time_points(times: list[float] | None, indices: list[int] | None, index: FrameIndex) -> list[int]:
    """Frame indices for a request naming time points (seconds) or frame indices, in the order given."""
    if bool(times) == bool(indices):
        raise InvalidInputError("times: give either times (seconds) or frame indices, not both and not neither")
    if times:
        return [index.frame_at_time(t) for t in times]
    return [index.check_index(n) for n in indices or []]


@dataclass(frozen=True)
class FrameTarget:
    """A frame a decoder is asked for: its pts and the keyframe to seek to (stream time base)."""

    pts: int
    keyframe_pts: int
    name: str = ""  # its file name inside an extraction's zip

    @classmethod
    def of(cls, index: FrameIndex, frame: int, *, name: str = "") -> FrameTarget:
        return cls(pts=index.frame_pts[frame], keyframe_pts=index.keyframe_before(frame), name=name)
