"""Weight-free backbones: ``logmel`` (audio) and ``pixels`` (visual).

Both are fixed functions of the signal, useful as baselines and for smoke tests; the
learned backbones live in :mod:`avili.media.hf`.
"""

from __future__ import annotations

import numpy as np
import torch


def split_segments(wave: np.ndarray, length: int) -> np.ndarray:
    """(S,) waveform to (T, length) float32 consecutive segments.

    A trailing partial segment is kept (zero-padded) when it holds at least half a
    segment, or when it is the only one; T >= 1.
    """
    whole, rest = divmod(wave.size, length)
    count = whole + (1 if rest >= length / 2 or whole == 0 else 0)
    out = np.zeros((count, length), np.float32)
    flat = wave[:count * length]
    out.reshape(-1)[:flat.size] = flat
    return out


def segment_count(samples: int, length: int) -> int:
    """How many segments :func:`split_segments` makes from ``samples`` samples."""
    whole, rest = divmod(samples, length)
    return whole + (1 if rest >= length / 2 or whole == 0 else 0)


class LogMelBackbone:
    """Per-second summary of the log-mel spectrogram.

    25 ms Hann window, 10 ms hop, ``n_mels`` Slaney mel bands (transformers'
    ``mel_filter_bank``), natural log of power + 1e-6. Each segment of ``segment_seconds``
    gives the per-band mean and standard deviation over its frames (the last segment also
    takes the frames of a dropped short tail): D = 2 * n_mels.
    """

    name = "logmel"

    def __init__(self, sample_rate: int = 16000, n_mels: int = 64,
                 segment_seconds: float = 1.0, device: torch.device | None = None) -> None:
        from transformers.audio_utils import mel_filter_bank

        self.sample_rate, self.n_mels = sample_rate, n_mels
        self.device = device or torch.device("cpu")
        self.n_fft, self.hop = int(round(0.025 * sample_rate)), int(round(0.010 * sample_rate))
        self.segment_samples = int(round(segment_seconds * sample_rate))
        bank = mel_filter_bank(num_frequency_bins=self.n_fft // 2 + 1, num_mel_filters=n_mels,
                               min_frequency=0.0, max_frequency=sample_rate / 2,
                               sampling_rate=sample_rate, norm="slaney", mel_scale="slaney")
        self.bank = torch.from_numpy(np.asarray(bank, np.float32)).T.to(self.device)
        self.window = torch.hann_window(self.n_fft).to(self.device)
        self.dim = 2 * n_mels

    def identity(self) -> dict:
        return {"name": self.name, "sample_rate": self.sample_rate, "n_mels": self.n_mels,
                "n_fft": self.n_fft, "hop": self.hop, "segment_samples": self.segment_samples}

    def embed_clips(self, waves: list[np.ndarray]) -> list[np.ndarray]:
        """Per clip, (S_i,) float32 waveform to (T_i, D) float32 segment features."""
        return [self._clip(w) for w in waves]

    def _clip(self, wave: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(wave).to(self.device)
        spec = torch.stft(x, self.n_fft, self.hop, window=self.window, center=True,
                          return_complex=True).abs().pow(2)
        logmel = torch.log(self.bank @ spec + 1e-6)  # (n_mels, frames)
        per_seg = self.segment_samples // self.hop
        count = segment_count(wave.size, self.segment_samples)
        feats = []
        for k in range(count):
            part = logmel[:, k * per_seg:(k + 1) * per_seg if k < count - 1 else None]
            feats.append(torch.cat([part.mean(1), part.std(1, unbiased=False)]))
        return torch.stack(feats).cpu().numpy().astype(np.float32)


# gradient-magnitude bin edges (intensity units per pixel, 0-255 scale)
_GRAD_EDGES = np.array([2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0])


class PixelsBackbone:
    """Colour and texture statistics of one frame, downscaled to ``size`` x ``size``.

    Per frame: 8-bin histograms of R, G and B (24), channel means and standard deviations
    (6), channel means of the 2 x 2 grid cells (12), and of the grey-level gradient
    magnitude its mean, standard deviation and an 8-bin histogram (10): D = 52, scaled
    to roughly [0, 1].
    """

    name = "pixels"
    dim = 52

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self.frame_size: tuple[int, int] = (size, size)

    def identity(self) -> dict:
        return {"name": self.name, "frame_size": self.size}

    def embed(self, frames: list[np.ndarray]) -> np.ndarray:
        """(H, W, 3) uint8 frames, all ``frame_size``, to (B, 52) float32."""
        x = np.stack(frames).astype(np.float32)  # (B, H, W, 3)
        b, h, w, _ = x.shape
        h, w = h - h % 2, w - w % 2
        x = x[:, :h, :w]
        bins = np.minimum((x // 32).astype(np.int64), 7)
        hist = np.stack([(bins == k).mean(axis=(1, 2)) for k in range(8)], axis=-1)  # (B,3,8)
        grid = x.reshape(b, 2, h // 2, 2, w // 2, 3).mean(axis=(2, 4)).reshape(b, 12)
        grad = _gradient_magnitude(x.mean(axis=-1))  # (B, H-1, W-1)
        idx = np.digitize(grad, _GRAD_EDGES)
        ghist = np.stack([(idx == k).mean(axis=(1, 2)) for k in range(8)], axis=-1)
        feats = [hist.reshape(b, 24), x.mean(axis=(1, 2)) / 255, x.std(axis=(1, 2)) / 255,
                 grid / 255, grad.mean(axis=(1, 2))[:, None] / 64,
                 grad.std(axis=(1, 2))[:, None] / 64, ghist]
        return np.concatenate(feats, axis=1).astype(np.float32)


def _gradient_magnitude(grey: np.ndarray) -> np.ndarray:
    """(B, H, W) float32 to (B, H-1, W-1) forward-difference gradient magnitudes."""
    dx = grey[:, :-1, 1:] - grey[:, :-1, :-1]
    dy = grey[:, 1:, :-1] - grey[:, :-1, :-1]
    return np.sqrt(dx * dx + dy * dy)
