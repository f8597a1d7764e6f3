"""Pretrained backbones through Hugging Face transformers (``--*-backbone hf``).

``weights`` is a hub id or a local folder written by ``save_pretrained`` (config, weights
and the preprocessor config). A local folder is loaded with ``local_files_only=True`` and
its weight files are hashed into the provenance. The model comes from ``AutoModel`` and
its preprocessor from ``AutoFeatureExtractor`` (audio) or ``AutoImageProcessor`` (visual).

Embedding: models with ``get_audio_features`` / ``get_image_features`` (CLAP, CLIP) use
that projection; others use ``pooler_output`` when present (AST, CLIP vision, ResNet),
else the mean of ``last_hidden_state`` over time or space (wav2vec2, HuBERT, ViT
without pooler).
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch

from avili.artifacts import file_sha256
from avili.errors import AviliError, first_line
from avili.media.features import split_segments

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".msgpack", ".h5", ".json")


def require_transformers() -> Any:
    try:
        import transformers
    except ImportError:
        raise AviliError("pretrained backbones need transformers: "
                         "pip install 'avili[media]'") from None
    return transformers


def load_pretrained(weights: str | None, role: str) -> tuple[Any, Any, dict]:
    """(preprocessor, model in eval mode on the CPU, identity record) for ``role``
    ``"audio"`` or ``"visual"``; any loading failure is an AviliError naming ``weights``."""
    transformers = require_transformers()
    if not weights:
        raise AviliError(f"--{role}-backbone hf needs --{role}-weights "
                         "(a Hugging Face hub id or a local folder)")
    local = Path(weights).expanduser().is_dir()
    if not local and _looks_like_path(weights):
        raise AviliError("weights folder not found (expected a folder written by "
                         "save_pretrained, or a hub id)", weights)
    source = str(Path(weights).expanduser()) if local else weights
    auto_proc = (transformers.AutoFeatureExtractor if role == "audio"
                 else transformers.AutoImageProcessor)
    try:
        with _quiet(transformers):
            proc = auto_proc.from_pretrained(source, local_files_only=local)
            model = transformers.AutoModel.from_pretrained(source, local_files_only=local)
    except (OSError, ValueError, KeyError, ImportError, RuntimeError, TypeError) as exc:
        raise AviliError(f"cannot load the {role} model ({first_line(exc)})", weights) from None
    model.eval()
    identity = {"name": "hf", "weights": weights, "local": local,
                "model_class": type(model).__name__, "model_type": model.config.model_type,
                "preprocessor_class": type(proc).__name__,
                "commit": getattr(model.config, "_commit_hash", None)}
    if local:
        identity["files_sha256"] = _hash_folder(Path(source))
    return proc, model, identity


class HFAudioBackbone:
    """An audio model on fixed-length segments.

    The segment is the extractor's own window when it has one (AST: ``max_length``
    frames of 10 ms; CLAP: ``nb_max_samples``), else 1 s. Every segment is zero-padded to
    that length before the extractor. Audio is decoded at the extractor's sampling rate.
    """

    name = "hf"

    def __init__(self, weights: str | None, batch_size: int, device: torch.device) -> None:
        self.proc, model, self._identity = load_pretrained(weights, "audio")
        self.model = model.to(device)
        self.device, self.batch_size = device, max(1, batch_size)
        self.sample_rate = int(getattr(self.proc, "sampling_rate", 16000))
        self.segment_samples = _audio_window(self.proc, self.sample_rate)
        probe = np.zeros((1, self.segment_samples), np.float32)
        self.dim = _probe_dim(lambda: self._forward(probe), "audio", weights)

    def identity(self) -> dict:
        return {**self._identity, "sample_rate": self.sample_rate,
                "segment_samples": self.segment_samples}

    def embed_clips(self, waves: list[np.ndarray]) -> list[np.ndarray]:
        """Per clip, (S_i,) float32 waveform to (T_i, D) float32 segment features."""
        segs = [split_segments(w, self.segment_samples) for w in waves]
        flat = np.concatenate(segs)
        feats = np.concatenate([self._forward(flat[i:i + self.batch_size])
                                for i in range(0, len(flat), self.batch_size)])
        return np.split(feats, np.cumsum([len(s) for s in segs])[:-1])

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        """(B, S) float32 segments to (B, D) float32."""
        inputs = self.proc(list(batch), sampling_rate=self.sample_rate, return_tensors="pt")
        return _run(self.model, getattr(self.model, "get_audio_features", None), inputs,
                    self.device)


class HFVisualBackbone:
    """An image model applied to each sampled frame; frames are decoded with the shorter
    side scaled down to the processor's input size, the processor does the rest."""

    name = "hf"

    def __init__(self, weights: str | None, device: torch.device) -> None:
        self.proc, model, self._identity = load_pretrained(weights, "visual")
        self.model = model.to(device)
        self.device = device
        self.frame_size: int = _short_side(self.proc)
        probe = np.zeros((self.frame_size, self.frame_size, 3), np.uint8)
        self.dim = _probe_dim(lambda: self.embed([probe]), "visual", weights)

    def identity(self) -> dict:
        return {**self._identity, "frame_size": self.frame_size}

    def embed(self, frames: list[np.ndarray]) -> np.ndarray:
        """(H, W, 3) uint8 frames to (B, D) float32."""
        inputs = self.proc(images=list(frames), return_tensors="pt")
        return _run(self.model, getattr(self.model, "get_image_features", None), inputs,
                    self.device)


def _probe_dim(embed: Any, role: str, weights: str | None) -> int:
    """Feature size from one forward pass on a blank input; a model that cannot embed
    one input on its own (e.g. an encoder-decoder) is refused here, naming ``weights``."""
    try:
        return int(embed().shape[1])
    except (ValueError, TypeError, RuntimeError, KeyError, AttributeError) as exc:
        raise AviliError(f"the {role} model cannot embed {role} input on its own "
                         f"({first_line(exc)})", weights) from None


def _run(model: Any, features_fn: Any, inputs: Any, device: torch.device) -> np.ndarray:
    """Forward pass in inference mode; pooled (B, D) float32 on the CPU."""
    inputs = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in inputs.items()}
    with torch.inference_mode():
        out = (features_fn or model)(**inputs)
    if isinstance(out, torch.Tensor):
        pooled = out
    else:
        pooled = getattr(out, "pooler_output", None)
        if pooled is None:
            pooled = out.last_hidden_state
    if pooled.ndim == 4:  # (B, C, H, W) convolutional maps
        pooled = pooled.mean(dim=(2, 3))
    elif pooled.ndim == 3:  # (B, L, D) token sequences
        pooled = pooled.mean(dim=1)
    return pooled.float().cpu().numpy()


def _audio_window(proc: Any, rate: int) -> int:
    """Samples per segment: the extractor's fixed window, else one second."""
    if getattr(proc, "nb_max_samples", None):
        return int(proc.nb_max_samples)
    if getattr(proc, "max_length", None) and getattr(proc, "num_mel_bins", None):
        return int(proc.max_length) * rate // 100  # AST: 10 ms frame shift
    return rate


def _short_side(proc: Any) -> int:
    """The processor's input size (shorter side), 224 when it does not say."""
    size = getattr(proc, "size", None) or {}
    if not isinstance(size, dict):
        size = dict(size) if hasattr(size, "keys") else {}
    values = [size.get("shortest_edge"), size.get("height"), size.get("width")]
    values = [int(v) for v in values if v]
    return min(values) if values else 224


def _hash_folder(folder: Path) -> dict[str, str]:
    """SHA-256 of the folder's weight and config files, by file name."""
    return {p.name: file_sha256(p) for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix in _WEIGHT_SUFFIXES}


def _looks_like_path(text: str) -> bool:
    """Hub ids are ``name`` or ``org/name``; anything else is meant as a folder."""
    return (text.startswith((".", "/", "~", "\\")) or text.count("/") > 1
            or Path(text).exists())


@contextlib.contextmanager
def _quiet(transformers: Any) -> Iterator[None]:
    """Silence transformers' logging, warnings and progress bars while loading; library
    code never prints."""
    logging = transformers.utils.logging
    verbosity, bars = logging.get_verbosity(), logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.set_verbosity(verbosity)
        if bars:
            logging.enable_progress_bar()
