"""Embedding a split with a student and scoring cross-modal retrieval.

Both directions are scored chunk by chunk (:func:`avili.eval.metrics.chunked_metrics`), so the
N x N score and relevance matrices never exist whole.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from avili.config import RELEVANCE, EvalConfig
from avili.data.schema import Dataset
from avili.errors import AviliError
from avili.eval.metrics import Relevance, bootstrap_ci, chunked_metrics, nan_mean, pr_curve
from avili.models import TwoTower, resolve_device
from avili.models import predict

DIRECTIONS = ("a2v", "v2a")
VARIANT_KEY = "mAP_cumulative_NONSTANDARD"


def embed(model: TwoTower, ds: Dataset, device: torch.device | str = "cpu"
          ) -> tuple[np.ndarray, np.ndarray]:
    """(N, E) float32 L2-normalized audio and visual embeddings of every clip in ``ds``,
    computed on ``device`` (auto, cpu, cuda), where the model is moved."""
    model.eval()
    device = resolve_device(device)
    model.to(device)
    audio = predict(lambda x: model.encode(x, "audio"), ds.audio, device)
    visual = predict(lambda x: model.encode(x, "visual"), ds.visual, device)
    return audio, visual


def relevance(ds: Dataset, mode: str = "label", harvested: tuple | None = None
              ) -> tuple[Relevance, Relevance]:
    """(a2v, v2a) relevance row makers over the clips of ``ds``: ``f(i, j)`` gives rows
    i..j-1 of the (N, N) bool matrix whose [n, m] says gallery clip m is relevant to
    query clip n.

    ``label``: same annotated class. ``events``: a gallery item is relevant when it holds
    the query's annotated event in its own modality (visual_events for audio queries,
    audio_events for visual queries); needs the optional event keys. ``harvested``: the
    teacher's harvested modality labels (audio, visual) (N, C) replace the event truth, and
    the query's own class must be harvested in the query's modality.
    """
    y = ds.label
    if mode == "label":
        same = lambda i, j: y[i:j, None] == y[None, :]  # noqa: E731
        return same, same
    if mode == "harvested":
        if harvested is None:
            raise AviliError("--relevance harvested needs --soft, soft labels with harvested "
                             "'audio_labels'/'visual_labels' (from 'avili teach')")
        ha, hv = (h.astype(bool) for h in harvested)
        own_a, own_v = ha[np.arange(len(y)), y], hv[np.arange(len(y)), y]
        return ((lambda i, j: own_a[i:j, None] & hv[:, y[i:j]].T),
                (lambda i, j: own_v[i:j, None] & ha[:, y[i:j]].T))
    if mode != "events":
        raise AviliError(f"unknown relevance {mode!r}; expected {', '.join(RELEVANCE)}")
    if ds.audio_events is None or ds.visual_events is None:
        raise AviliError("--relevance events needs 'audio_events' and 'visual_events', which "
                         "this dataset does not have", ds.path)
    va, ae = ds.visual_events.astype(bool), ds.audio_events.astype(bool)
    return (lambda i, j: va[:, y[i:j]].T), (lambda i, j: ae[:, y[i:j]].T)


def direction_metrics(audio: np.ndarray, visual: np.ndarray, part: Dataset,
                      cfg: EvalConfig, harvested: tuple | None = None
                      ) -> dict[str, dict[str, np.ndarray]]:
    """Per-query metrics (:func:`avili.eval.metrics.query_metrics`) for both directions: audio
    (N, E) queries against the visual (N, E) gallery, and the reverse."""
    rel_a2v, rel_v2a = relevance(part, cfg.relevance, harvested)
    return {"a2v": chunked_metrics(audio, visual, rel_a2v, cfg.chunk, cfg.workers, cfg.ks),
            "v2a": chunked_metrics(visual, audio, rel_v2a, cfg.chunk, cfg.workers, cfg.ks)}


def summarize(stats: dict[str, dict[str, np.ndarray]], part: Dataset, cfg: EvalConfig
              ) -> dict[str, Any]:
    """Flat, stable keys: ``{direction}_{metric}`` means over queries with a relevant item,
    ``avg_mAP``, per-class AP (mean over the queries of each class), query counts, and
    with ``cfg.ci`` the 95% bootstrap intervals ``*_ci95``."""
    out: dict[str, Any] = {}
    for d in DIRECTIONS:
        for key, values in stats[d].items():
            if key == "cumulative":
                if cfg.map_variant == "cumulative":
                    out[f"{d}_{VARIANT_KEY}"] = nan_mean(values)
                continue
            out[f"{d}_{'mAP' if key == 'AP' else 'MRR' if key == 'RR' else key}"] = \
                nan_mean(values)
    out["avg_mAP"] = (out["a2v_mAP"] + out["v2a_mAP"]) / 2
    if cfg.map_variant == "cumulative":
        out[f"avg_{VARIANT_KEY}"] = (out[f"a2v_{VARIANT_KEY}"] + out[f"v2a_{VARIANT_KEY}"]) / 2
    if cfg.ci:
        for d in DIRECTIONS:
            out[f"{d}_mAP_ci95"] = bootstrap_ci(stats[d]["AP"], None, cfg.ci_samples, cfg.seed)
        out["avg_mAP_ci95"] = _avg_ci(stats, None, cfg)
    out["per_class_AP"] = per_class_ap(stats, part)
    out["queries"] = int(len(part))
    out["queries_without_relevant"] = int(sum(np.isnan(stats[d]["AP"]).sum()
                                              for d in DIRECTIONS))
    return out


def per_class_ap(stats: dict[str, dict[str, np.ndarray]], part: Dataset
                 ) -> dict[str, dict[str, float]]:
    """{class name: {a2v, v2a}}: mean AP over the queries annotated with that class."""
    out = {}
    for c, name in enumerate(part.class_names):
        mine = part.label == c
        out[name] = {d: nan_mean(stats[d]["AP"][mine]) for d in DIRECTIONS}
    return out


def _avg_ci(stats: dict, base: dict | None, cfg: EvalConfig) -> tuple[float, float]:
    """Bootstrap CI of the average of the two directions' mAP (or of its difference to
    ``base``): both directions' queries are the same clips, so one resample serves both."""
    joined = (stats["a2v"]["AP"] + stats["v2a"]["AP"]) / 2
    other = None if base is None else (base["a2v"]["AP"] + base["v2a"]["AP"]) / 2
    return bootstrap_ci(joined, other, cfg.ci_samples, cfg.seed)


def differences(stats: dict, base: dict, cfg: EvalConfig) -> dict[str, Any]:
    """Each direction's and the average mAP minus the baseline model's, with paired
    bootstrap 95% CIs over the same queries."""
    out: dict[str, Any] = {}
    for d in DIRECTIONS:
        out[f"delta_{d}_mAP"] = nan_mean(stats[d]["AP"]) - nan_mean(base[d]["AP"])
        out[f"delta_{d}_mAP_ci95"] = bootstrap_ci(stats[d]["AP"], base[d]["AP"],
                                                  cfg.ci_samples, cfg.seed)
    out["delta_avg_mAP"] = (out["delta_a2v_mAP"] + out["delta_v2a_mAP"]) / 2
    out["delta_avg_mAP_ci95"] = _avg_ci(stats, base, cfg)
    return out


def mean_pr_curves(audio: np.ndarray, visual: np.ndarray, part: Dataset, cfg: EvalConfig
                   ) -> dict[str, np.ndarray]:
    """{direction: (101,) interpolated precision at recall 0, 0.01, ..., 1}, averaged over
    queries with a relevant item."""
    rel_a2v, rel_v2a = relevance(part, cfg.relevance)
    pr = lambda s, r: {"PR": pr_curve(s, r)}  # noqa: E731
    out = {}
    for d, (q, g, rel) in {"a2v": (audio, visual, rel_a2v), "v2a": (visual, audio, rel_v2a)
                           }.items():
        curves = chunked_metrics(q, g, rel, cfg.chunk, cfg.workers, per_chunk=pr)["PR"]
        out[d] = np.nanmean(curves, axis=0)
    return out


def tsne_map(audio: np.ndarray, visual: np.ndarray, label: np.ndarray, clips: int = 600,
             seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """t-SNE (scikit-learn) of up to ``clips`` clips' audio and visual embeddings together:
    (2M, 2) points, (2M,) labels and (2M,) modality ("audio"/"visual")."""
    from sklearn.manifold import TSNE

    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(label.size, min(clips, label.size), replace=False))
    x = np.concatenate([audio[pick], visual[pick]])
    points = TSNE(2, perplexity=min(30.0, max(2.0, (x.shape[0] - 1) / 3)), init="pca",
                  random_state=seed).fit_transform(x)
    side = np.repeat(np.array(["audio", "visual"]), pick.size)
    return points, np.concatenate([label[pick], label[pick]]), side


def evaluate_split(model: TwoTower, ds: Dataset, split: str, mode: str = "label",
                   device: torch.device | str = "cpu") -> dict[str, float]:
    """a2v, v2a and average standard mAP on one split (gallery = that split)."""
    part = ds.subset(split)
    audio, visual = embed(model, part, device)
    stats = direction_metrics(audio, visual, part, EvalConfig(split, mode, ks=()))
    a2v, v2a = nan_mean(stats["a2v"]["AP"]), nan_mean(stats["v2a"]["AP"])
    return {"a2v_mAP": a2v, "v2a_mAP": v2a, "avg_mAP": (a2v + v2a) / 2}
