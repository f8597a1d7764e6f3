"""Tiny videos and tiny random-weight transformers backbones, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

# class name -> (RGB colour, tone in Hz)
CLASSES = {"brass": ((200, 40, 40), 440.0), "flute": ((40, 200, 40), 1000.0),
           "siren": ((40, 40, 200), 2500.0)}
CLIPS_PER_CLASS = 3
SECONDS = 2.0


@pytest.fixture(scope="session")
def video_dir(tmp_path_factory) -> Path:
    """9 good clips (3 per class; pitch and noise vary a little within a class), one with
    no audio stream, one corrupt file and one empty file."""
    pytest.importorskip("av", reason="raw-video extraction needs PyAV")
    from avili.media.synth import write_tone_video

    folder = tmp_path_factory.mktemp("videos")
    for c, (name, (colour, hz)) in enumerate(CLASSES.items()):
        for k in range(CLIPS_PER_CLASS):
            write_tone_video(folder / f"{name}_{k}.mp4", SECONDS, colour, hz * (1 + 0.03 * k),
                             seed=10 * c + k)
    write_tone_video(folder / "silent_film.mp4", SECONDS, (90, 90, 90), 440.0, audio=False)
    (folder / "corrupt.mp4").write_bytes(bytes(range(256)) * 8)
    (folder / "empty.mp4").write_bytes(b"")
    return folder


def _write_csv(path: Path, rows: list[tuple[str, ...]], header: str = "file,label") -> Path:
    path.write_text(header + "\n" + "".join(",".join(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="session")
def write_csv():
    """write_csv(path, rows, header="file,label") -> path."""
    return _write_csv


@pytest.fixture(scope="session")
def good_rows() -> list[tuple[str, str]]:
    """(file, class) of the 9 good clips."""
    return [(f"{name}_{k}.mp4", name) for name in CLASSES for k in range(CLIPS_PER_CLASS)]


@pytest.fixture(scope="session")
def bad_rows() -> list[tuple[str, str]]:
    """(file, class) of the broken files, with the skip reason each should get."""
    return [("silent_film.mp4", "brass"), ("corrupt.mp4", "flute"), ("empty.mp4", "siren")]


@pytest.fixture(scope="session")
def labels_csv(video_dir: Path, good_rows, bad_rows) -> Path:
    """Good clips plus the three broken files, no split column."""
    return _write_csv(video_dir / "labels.csv", good_rows + bad_rows)


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory) -> tuple[Path, Path]:
    """(audio folder, visual folder): a tiny AST and a tiny CLIP vision model with random
    weights, saved with their feature extractor / image processor."""
    transformers = pytest.importorskip("transformers")
    import torch

    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("weights")
    audio = root / "ast"
    ast = transformers.ASTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                 intermediate_size=64, max_length=100, num_mel_bins=32,
                                 frequency_stride=10, time_stride=10)
    transformers.ASTModel(ast).save_pretrained(audio)
    transformers.ASTFeatureExtractor(num_mel_bins=32, max_length=100).save_pretrained(audio)
    visual = root / "clip"
    clip = transformers.CLIPVisionConfig(hidden_size=32, intermediate_size=64,
                                         num_hidden_layers=1, num_attention_heads=2,
                                         image_size=32, patch_size=8)
    transformers.CLIPVisionModel(clip).save_pretrained(visual)
    processor = transformers.CLIPImageProcessor(size={"shortest_edge": 32},
                                                crop_size={"height": 32, "width": 32})
    processor.save_pretrained(visual)
    return audio, visual
