"""Tiny synthetic videos (a colour pattern plus a sine tone) for tests and benchmarks."""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np

from avili.media.decode import require_av


def write_tone_video(path: str | os.PathLike, seconds: float, colour: tuple[int, int, int],
                     tone_hz: float, size: int = 64, fps: int = 25, sample_rate: int = 16000,
                     audio: bool = True, video: bool = True, seed: int = 0) -> None:
    """Write an MP4 (H.264 + AAC): frames of ``colour`` with a moving stripe and light
    noise, and a sine tone of ``tone_hz`` at 0.5 amplitude. ``audio=False`` or
    ``video=False`` leaves that stream out."""
    av = require_av()
    rng = np.random.default_rng(seed)
    with av.open(os.fspath(path), mode="w", format="mp4") as container:
        vstream = _video_stream(container, size, fps) if video else None
        astream = container.add_stream("aac", rate=sample_rate, layout="mono") if audio else None
        if vstream is not None:
            _write_frames(av, container, vstream, seconds, colour, size, fps, rng)
        if astream is not None:
            _write_tone(av, container, astream, seconds, tone_hz, sample_rate)


def _video_stream(container, size: int, fps: int):
    stream = container.add_stream("libx264", rate=fps)
    stream.width = stream.height = size
    stream.pix_fmt = "yuv420p"
    stream.options = {"preset": "ultrafast", "threads": "1"}
    return stream


def _write_frames(av, container, stream, seconds: float, colour, size: int, fps: int,
                  rng: np.random.Generator) -> None:
    base = np.broadcast_to(np.array(colour, np.uint8), (size, size, 3))
    for i in range(int(round(seconds * fps))):
        img = base.astype(np.int16) + rng.integers(-8, 9, (size, size, 3))
        col = (i * 4) % size
        img[:, col:col + max(1, size // 8)] = 255 - np.asarray(colour, np.int16)
        frame = av.VideoFrame.from_ndarray(np.clip(img, 0, 255).astype(np.uint8), format="rgb24")
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def _write_tone(av, container, stream, seconds: float, tone_hz: float, rate: int) -> None:
    t = np.arange(int(round(seconds * rate))) / rate
    wave = (0.5 * np.sin(2 * np.pi * tone_hz * t)).astype(np.float32)
    chunk = 1024
    for i in range(0, wave.size, chunk):
        frame = av.AudioFrame.from_ndarray(wave[None, i:i + chunk], format="fltp", layout="mono")
        frame.sample_rate = rate
        frame.pts = i
        frame.time_base = Fraction(1, rate)
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)
