"""Pictures (matplotlib, headless Agg): evaluation plots here, and the figure and save
helpers the graph drawing (:mod:`avili.graph.export`) uses; those two modules are the only
ones that import matplotlib."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from avili.artifacts import atomic_output

MARKERS = {"audio": "o", "visual": "^"}
LEGEND_CLASSES = 20  # more classes than this: names sit on the map, not in a legend


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: str | os.PathLike) -> Path:
    """Write ``fig`` as PNG atomically and close it."""
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight")
    pyplot().close(fig)
    return Path(path)


def model_label(name: str, ap: float | None) -> str:
    """A PR legend entry: the model and its mean AP for that direction."""
    return name if ap is None or not math.isfinite(ap) else f"{name} (mAP {ap:.3f})"


def pr_curves(curves: dict[str, np.ndarray], direction: str, path: str | os.PathLike,
              ap: Mapping[str, float] | None = None) -> Path:
    """Mean interpolated precision-recall curve of each model: ``curves`` maps a label to
    its (levels,) precision at evenly spaced recall levels; ``ap`` maps the same labels
    to their mean AP in this direction, shown in the legend."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.5), dpi=120)
    for label, curve in curves.items():
        ax.plot(np.linspace(0, 1, curve.size), curve,
                label=model_label(label, (ap or {}).get(label)))
    ax.set(xlabel="recall", ylabel="interpolated precision (mean over queries)",
           title=f"precision-recall, {direction.replace('2', ' -> ').upper()}",
           xlim=(0, 1), ylim=(0, 1.02))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    return save(fig, path)


def epoch_ticks(last: int, most: int = 12) -> list[int]:
    """Integer x ticks for epochs 1..``last``: every epoch, or 1 and the multiples of a
    round step when that would be more than ``most`` ticks."""
    if last <= most:
        return list(range(1, max(last, 1) + 1))
    step = next(s * 10 ** k for k in range(12) for s in (2, 5, 10) if last / (s * 10 ** k)
                <= most - 1)
    if step == 2:  # 1, 3, 5, ...: a tick at 2 would crowd the one at 1
        return list(range(1, last + 1, 2))
    return [1] + list(range(step, last + 1, step))


def training_curves(histories: dict[str, list[dict]], path: str | os.PathLike,
                    best: Mapping[str, int | None] | None = None) -> Path:
    """Validation average mAP per epoch (counted from 1) from each checkpoint's training
    history; ``best`` maps a label to its chosen, 0-based epoch, marked with a ring."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.0), dpi=120)
    last = 1
    for label, history in histories.items():
        epochs = [h["epoch"] + 1 for h in history]
        scores = [h["val_score"] for h in history]
        chosen = (best or {}).get(label)
        text = label if chosen is None else f"{label} (chosen: epoch {chosen + 1})"
        line, = ax.plot(epochs, scores, marker=".", label=text)
        if chosen is not None and chosen + 1 in epochs:
            ax.scatter([chosen + 1], [scores[epochs.index(chosen + 1)]], s=110, zorder=3,
                       facecolors="none", edgecolors=line.get_color(), linewidths=1.6)
        last = max([last, *epochs])
    ax.set_xticks(epoch_ticks(last))
    ax.set_xlim(0.5, last + 0.5)
    ax.set(xlabel="epoch", ylabel="val average mAP (label relevance)",
           title="model selection on the val split (ring = chosen epoch)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)  # val curves rise, then level off
    return save(fig, path)


def class_styles(n: int) -> list[tuple[tuple[float, ...], bool]]:
    """(RGBA colour, filled) for each of ``n`` classes: the 10 tab10 hues filled, then
    hollow; past 20 classes the 60 hues of tab20, tab20b and tab20c, filled then hollow
    (styles repeat only past 120 classes)."""
    import matplotlib

    cmaps = ["tab10"] if n <= 2 * 10 else ["tab20", "tab20b", "tab20c"]
    hues = [c for m in cmaps for c in matplotlib.colormaps[m].colors]
    return [(tuple(hues[k % len(hues)]) + (1.0,), (k // len(hues)) % 2 == 0)
            for k in range(n)]


def embedding_map(points: np.ndarray, label: np.ndarray, modality: np.ndarray,
                  class_names: Sequence[str], title: str, path: str | os.PathLike) -> Path:
    """A 2-D map, ``points`` (M, 2), coloured by class (:func:`class_styles`), audio as
    circles and visual as triangles. Up to :data:`LEGEND_CLASSES` classes get a legend;
    more are named at their median point."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 6), dpi=120)
    styles = class_styles(len(class_names))
    for k, (colour, filled) in enumerate(styles):
        for side, marker in MARKERS.items():
            mine = (label == k) & (modality == side)
            ax.scatter(points[mine, 0], points[mine, 1], s=12, marker=marker, alpha=0.8,
                       facecolors=colour if filled else "none", edgecolors=colour,
                       linewidths=0 if filled else 0.8)
    handles = [plt.Line2D([], [], marker=m, ls="", color="dimgrey", label=side)
               for side, m in MARKERS.items()]
    if len(class_names) <= LEGEND_CLASSES:
        handles += [plt.Line2D([], [], marker="s", ls="", color=c, label=name,
                               markerfacecolor=c if filled else "none")
                    for (c, filled), name in zip(styles, class_names)]
    else:
        _name_clusters(ax, points, label, class_names, styles)
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              borderaxespad=0)
    ax.set(title=title, xlabel="t-SNE 1", ylabel="t-SNE 2")
    return save(fig, path)


def _name_clusters(ax: Any, points: np.ndarray, label: np.ndarray,
                   class_names: Sequence[str], styles: list) -> None:
    """Each class's name at the median of its points, in its colour, on a white halo."""
    from matplotlib import patheffects

    halo = [patheffects.withStroke(linewidth=2, foreground="white")]
    for k, name in enumerate(class_names):
        if (label == k).any():
            x, y = np.median(points[label == k], axis=0)
            ax.text(x, y, name, fontsize=6, ha="center", va="center",
                    color=styles[k][0], path_effects=halo, zorder=4)
