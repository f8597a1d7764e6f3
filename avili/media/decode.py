"""Decoding one video file into a mono waveform and frames sampled at a fixed rate.

The only module that imports PyAV (which bundles FFmpeg); it is imported lazily, so
``import avili.media`` works without the ``avili[media]`` extra.

Audio and video are demuxed in one pass over the container. The time window is
``[start, start + duration)`` in seconds (``duration=None``: to the end of the file).
Frames are sampled at ``fps``: for sample ``k`` the first frame whose timestamp is at or
after ``start + (k + 0.5) / fps`` (the middle of the k-th interval), so at 1 fps frame
``k`` sits in second ``k`` of the window.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from avili.errors import AviliError, first_line

FrameSize = tuple[int, int] | int | None


class DecodeFailure(Exception):
    """A file that cannot be used; ``reason`` is a short phrase for the skip report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Clip:
    """audio: (S,) float32 mono waveform in [-1, 1] at ``sample_rate``;
    frames: (F, H, W, 3) uint8 RGB frames sampled at ``fps`` (F >= 1)."""

    audio: np.ndarray
    frames: np.ndarray
    sample_rate: int
    fps: float


def require_av() -> Any:
    """Import PyAV, or raise the error that names the pip extra."""
    try:
        import av
    except ImportError:
        raise AviliError("raw-video extraction needs PyAV: pip install 'avili[media]'") from None
    return av


def decode_clip(path: str | os.PathLike, sample_rate: int, fps: float, start: float = 0.0,
                duration: float | None = None, frame_size: FrameSize = None) -> Clip:
    """Decode ``path``; raise :class:`DecodeFailure` when it holds nothing usable.

    ``frame_size``: ``(width, height)`` resizes exactly, an int scales the shorter side
    down to it (never up), ``None`` keeps the native size.
    """
    av = require_av()
    try:
        with av.open(os.fspath(path)) as container:
            return _decode_open(container, av, sample_rate, fps, start, duration, frame_size)
    except (av.error.FFmpegError, OSError, ValueError, EOFError) as exc:
        detail = getattr(exc, "strerror", None) or first_line(exc)
        raise DecodeFailure(f"cannot decode ({detail})") from None


def _decode_open(container: Any, av: Any, sample_rate: int, fps: float, start: float,
                 duration: float | None, frame_size: FrameSize) -> Clip:
    if not container.streams.audio:
        raise DecodeFailure("no audio stream")
    if not container.streams.video:
        raise DecodeFailure("no video stream")
    audio_stream, video_stream = container.streams.audio[0], container.streams.video[0]
    video_stream.thread_type = "AUTO"
    end = None if duration is None else start + duration
    if start > 0:
        container.seek(int(start * av.time_base), backward=True, any_frame=False)
    audio = _AudioCollector(av, sample_rate, start, end)
    video = _FrameSampler(fps, start, end, frame_size)
    for frame in container.decode(audio_stream, video_stream):
        if isinstance(frame, av.AudioFrame):
            audio.add(frame)
        else:
            video.add(frame)
        if audio.done and video.done:
            break
    return Clip(audio=audio.waveform(), frames=video.frames(), sample_rate=sample_rate, fps=fps)


class _Window:
    """Shared by the collectors: stop taking frames once the window's end is reached."""

    end: float | None
    done: bool

    def _time_in_window(self, frame: Any) -> float | None:
        """The frame's time, or None once the window is over (and from then on)."""
        if self.done:
            return None
        time = frame.time if frame.time is not None else 0.0
        if self.end is not None and time >= self.end:
            self.done = True
            return None
        return time


class _AudioCollector(_Window):
    """Resamples to mono float32 at ``rate`` and trims to the window."""

    def __init__(self, av: Any, rate: int, start: float, end: float | None) -> None:
        self.resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        self.rate, self.start, self.end = rate, start, end
        self.first_time: float | None = None
        self.chunks: list[np.ndarray] = []
        self.done = False

    def add(self, frame: Any) -> None:
        time = self._time_in_window(frame)
        if time is None:
            return
        if self.first_time is None:
            self.first_time = time
        for out in self.resampler.resample(frame):
            self.chunks.append(out.to_ndarray().reshape(-1))

    def waveform(self) -> np.ndarray:
        """(S,) float32 samples of the window."""
        for out in self.resampler.resample(None):
            self.chunks.append(out.to_ndarray().reshape(-1))
        wave = np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.float32)
        skip = max(0, int(round((self.start - (self.first_time or 0.0)) * self.rate)))
        stop = None if self.end is None else skip + int(round((self.end - self.start) * self.rate))
        wave = np.ascontiguousarray(wave[skip:stop], dtype=np.float32)
        if wave.size == 0:
            raise DecodeFailure("no audio samples in the selected window")
        return wave


class _FrameSampler(_Window):
    """Keeps one RGB frame per ``1 / fps`` seconds of the window."""

    def __init__(self, fps: float, start: float, end: float | None, size: FrameSize) -> None:
        if fps <= 0:
            raise AviliError(f"fps must be positive, got {fps}")
        self.fps, self.start, self.end, self.size = fps, start, end, size
        self.kept: list[np.ndarray] = []
        self.last: Any = None
        self.done = False

    def _target(self) -> float:
        return self.start + (len(self.kept) + 0.5) / self.fps

    def add(self, frame: Any) -> None:
        time = self._time_in_window(frame)
        if time is None or time < self.start:
            return
        self.last = frame
        while time >= self._target() and (self.end is None or self._target() < self.end):
            self.kept.append(_to_rgb(frame, self.size))

    def frames(self) -> np.ndarray:
        """(F, H, W, 3) uint8; a window shorter than half a sample interval keeps its last
        frame."""
        if not self.kept and self.last is not None:
            self.kept.append(_to_rgb(self.last, self.size))
        if not self.kept:
            raise DecodeFailure("no video frames in the selected window")
        return np.stack(self.kept)


def _to_rgb(frame: Any, size: FrameSize) -> np.ndarray:
    """(H, W, 3) uint8, resized by FFmpeg's scaler as ``size`` asks."""
    if size is None:
        return frame.to_ndarray(format="rgb24")
    if isinstance(size, int):
        scale = min(1.0, size / min(frame.width, frame.height))
        width, height = max(1, round(frame.width * scale)), max(1, round(frame.height * scale))
    else:
        width, height = size
    return frame.to_ndarray(format="rgb24", width=width, height=height)
