"""Embedding a split with a student and scoring cross-modal retrieval."""

from __future__ import annotations

import numpy as np
import torch

from avili.data.schema import Dataset
from avili.errors import AviliError
from avili.metrics import cross_modal_map
from avili.models import TwoTower
from avili.train.loop import predict

RELEVANCE = ("label", "events")


def embed(model: TwoTower, ds: Dataset, device: torch.device | str = "cpu"
          ) -> tuple[np.ndarray, np.ndarray]:
    """(N, E) float32 L2-normalized audio and visual embeddings of every clip in ``ds``."""
    model.eval()
    device = torch.device(device)
    audio = predict(lambda x: model.encode(x, "audio"), ds.audio, device)
    visual = predict(lambda x: model.encode(x, "visual"), ds.visual, device)
    return audio, visual


def relevance(ds: Dataset, mode: str = "label") -> tuple[np.ndarray, np.ndarray]:
    """(rel_a2v, rel_v2a), each (N, N) bool over the clips of ``ds``.

    ``label``: same annotated class. ``events``: a gallery item is relevant when it holds
    the query's annotated event in its own modality (visual_events for audio queries,
    audio_events for visual queries); needs the optional event keys.
    """
    if mode == "label":
        same = ds.label[:, None] == ds.label[None, :]
        return same, same
    if mode != "events":
        raise AviliError(f"unknown relevance {mode!r}; expected {', '.join(RELEVANCE)}")
    if ds.audio_events is None or ds.visual_events is None:
        raise AviliError("--relevance events needs 'audio_events' and 'visual_events', which "
                         "this dataset does not have", ds.path)
    rel_a2v = ds.visual_events[:, ds.label].T.astype(bool)  # [n, m] = visual_events[m, y_n]
    rel_v2a = ds.audio_events[:, ds.label].T.astype(bool)
    return rel_a2v, rel_v2a


def evaluate_split(model: TwoTower, ds: Dataset, split: str, mode: str = "label",
                   device: torch.device | str = "cpu") -> dict[str, float]:
    """a2v, v2a and average standard mAP on one split (gallery = that split)."""
    part = ds.subset(split)
    audio, visual = embed(model, part, device)
    rel_a2v, rel_v2a = relevance(part, mode)
    return cross_modal_map(audio, visual, rel_a2v, rel_v2a)
