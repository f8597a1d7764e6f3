"""Decoding with PyAV and the weight-free backbones, against naive references."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("av", reason="raw-video extraction needs PyAV")
pytest.importorskip("transformers", reason="logmel uses transformers' mel filter bank")

from avili.media.decode import DecodeFailure, decode_clip  # noqa: E402
from avili.media.features import LogMelBackbone, PixelsBackbone, split_segments  # noqa: E402


def test_decode_shapes_and_window(video_dir):
    clip = decode_clip(video_dir / "brass_0.mp4", 16000, 1.0, frame_size=(64, 64))
    assert clip.frames.shape == (2, 64, 64, 3) and clip.frames.dtype == np.uint8
    assert abs(clip.audio.size - 32000) <= 1024  # AAC pads its last frame
    assert np.abs(clip.frames[:, 5, 40].astype(int) - (200, 40, 40)).max() < 30
    part = decode_clip(video_dir / "brass_0.mp4", 8000, 4.0, start=0.5, duration=1.0,
                       frame_size=32)
    assert part.audio.size == 8000
    assert part.frames.shape == (4, 32, 32, 3)


@pytest.mark.parametrize("name, reason", [("silent_film.mp4", "no audio stream"),
                                          ("corrupt.mp4", "cannot decode"),
                                          ("empty.mp4", "cannot decode")])
def test_unusable_files_fail_with_a_reason(video_dir, name, reason):
    with pytest.raises(DecodeFailure) as info:
        decode_clip(video_dir / name, 16000, 1.0)
    assert info.value.reason.startswith(reason)


def test_window_past_the_end_is_a_failure(video_dir):
    with pytest.raises(DecodeFailure, match="no audio samples|no video frames"):
        decode_clip(video_dir / "brass_0.mp4", 16000, 1.0, start=30.0)


def test_split_segments_keeps_a_long_tail_only():
    wave = np.arange(25, dtype=np.float32)
    assert split_segments(wave, 10).shape == (3, 10)  # tail of 5 >= half
    assert split_segments(wave[:24], 10).shape == (2, 10)  # tail of 4 dropped
    assert split_segments(wave[:3], 10).shape == (1, 10)  # the only segment is kept
    assert split_segments(wave, 10)[2, 4] == 24 and split_segments(wave, 10)[2, 5] == 0


def test_logmel_matches_transformers_spectrogram():
    from transformers.audio_utils import spectrogram, window_function

    rng = np.random.default_rng(0)
    wave = rng.normal(0, 0.1, 16000 * 2).astype(np.float32)
    bb = LogMelBackbone(16000, n_mels=64)
    feats = bb.embed_clips([wave])[0]
    assert feats.shape == (2, 128)
    power = spectrogram(wave.astype(np.float64), window_function(400, "hann", periodic=True),
                        frame_length=400, hop_length=160, power=2.0, center=True,
                        pad_mode="reflect", mel_filters=bb.bank.T.numpy().astype(np.float64))
    logmel = np.log(power + 1e-6)
    first = logmel[:, :100]
    np.testing.assert_allclose(feats[0, :64], first.mean(1), atol=2e-3)
    np.testing.assert_allclose(feats[0, 64:], first.std(1), atol=2e-3)
    np.testing.assert_allclose(feats[1, :64], logmel[:, 100:].mean(1), atol=2e-3)


def test_pixels_on_solid_frames():
    red = np.zeros((64, 64, 3), np.uint8)
    red[..., 0] = 250
    feats = PixelsBackbone().embed([red, np.full((64, 64, 3), 40, np.uint8)])
    assert feats.shape == (2, 52)
    hist = feats[0, :24].reshape(3, 8)
    assert hist[0, 7] == 1 and hist[1, 0] == 1 and hist[2, 0] == 1
    np.testing.assert_allclose(feats[0, 24:27], [250 / 255, 0, 0], rtol=1e-6)
    assert feats[1, 42] == 0 and feats[1, 44] == 1  # flat: no gradient, all in bin 0
