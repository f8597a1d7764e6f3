"""Real co-occurrence: AudioSet label sets for the synthetic generator's ``audioset`` regime.

The shipped file ``audioset_cooccurrence.csv`` (written by ``bench/make_audioset_subset.py``)
holds, for a subset of AudioSet classes, the restricted label set of every clip of AudioSet's
balanced training list that carries at least one subset class (Gemmeke et al., "Audio Set:
an ontology and human-labeled dataset for audio events", ICASSP 2017; CC BY 4.0, see the
file's header). The subset is AVE's 15 classes (under their AudioSet names) plus their
frequent companions, with ontology parents collapsed; the script documents the rules.

In the ``audioset`` regime (``SyntheticConfig.cooccurrence``) each synthetic clip takes one
real clip's label set as its event set, drawn class-balanced: the annotated class is drawn
uniformly, then a real clip carrying it, uniformly among those (as AVE-like datasets are
class-balanced; drawing real clips directly would annotate Speech and Music most of the
time). The truth for graph recovery is the set of class pairs that really co-occur in the
file's label sets (:func:`cooccurring_pairs`), as undirected audio-audio edges.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from avili.errors import AviliError
from avili.data.graphfile import Graph

AUDIOSET_FILE = "audioset_cooccurrence.csv"
MIN_LIFT = 2.0  # a true pair co-occurs at least twice as often as independence predicts
MIN_CLIPS = 20  # ... in at least this many real clips
VISIBLE_RATE = 0.5  # a companion (unannotated) sound's source is on screen this often
ATTRIBUTION = ("AudioSet (Gemmeke et al., ICASSP 2017), Google LLC, CC BY 4.0; label sets "
               "restricted to a class subset")


@dataclass(frozen=True)
class LabelSets:
    """Real multi-label event sets: ``member`` (N, C) bool, row = clip, column = class;
    ``clip_id`` (N,) str; ``class_names`` (C,); ``mids`` (C,) AudioSet ids; ``path`` the
    file read."""

    class_names: list[str]
    mids: list[str]
    clip_id: np.ndarray
    member: np.ndarray
    path: Path | None = None


@dataclass(frozen=True)
class CoPair:
    """Classes ``i`` < ``j`` together in ``clips`` real clips, ``lift`` times as often as
    independence predicts: lift = P(i and j) / (P(i) P(j))."""

    i: int
    j: int
    clips: int
    lift: float


def audioset_path() -> Path:
    """The shipped subset file (package data)."""
    return Path(str(resources.files("avili.data").joinpath(AUDIOSET_FILE)))


def load_label_sets(path: str | Path | None = None) -> LabelSets:
    """Read a co-occurrence CSV (default: the shipped AudioSet subset). Header comment lines
    ``# class,<mid>,<name>`` give the class order; then ``ytid,labels`` rows whose labels
    are class names joined by ``;``."""
    path = audioset_path() if path is None else Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AviliError(f"cannot read the co-occurrence file ({exc.strerror})", path) from exc
    mids, names, rows = _parse(text, path)
    index = {name: k for k, name in enumerate(names)}
    member = np.zeros((len(rows), len(names)), dtype=bool)
    for r, (_, labels) in enumerate(rows):
        for name in labels:
            if name not in index:
                raise AviliError(f"clip {rows[r][0]} names class {name!r}, which the header "
                                 "does not list", path)
            member[r, index[name]] = True
    if not len(rows) or not member.any(axis=1).all():
        raise AviliError("expected clips with at least one listed class each", path)
    return LabelSets(names, mids, np.array([r[0] for r in rows], dtype=str), member, path)


def describe(sets: LabelSets) -> dict[str, Any]:
    """What a dataset's provenance records of the real label sets it was drawn from (the
    file itself goes in as an input, with its SHA-256)."""
    pairs = cooccurring_pairs(sets.member)
    return {"attribution": ATTRIBUTION, "real_clips": int(sets.member.shape[0]),
            "sampling": "class-balanced", "visible_rate": VISIBLE_RATE,
            "true_pairs": {"min_lift": MIN_LIFT, "min_clips": MIN_CLIPS,
                           "pairs": [[sets.class_names[p.i], sets.class_names[p.j], p.clips,
                                      round(p.lift, 3)] for p in pairs]}}


def _parse(text: str, path: Path) -> tuple[list[str], list[str], list[tuple[str, list[str]]]]:
    """(mids, names, [(clip id, label names)]) from the file's text."""
    mids, names, body = [], [], []
    for line in text.splitlines():
        if line.startswith("# class,"):
            _, mid, name = next(csv.reader([line[2:]]))
            mids.append(mid)
            names.append(name)
        elif line and not line.startswith("#"):
            body.append(line)
    if len(names) < 2 or not body or body[0] != "ytid,labels":
        raise AviliError("expected '# class,<mid>,<name>' header lines (two or more) and a "
                         "'ytid,labels' table", path)
    rows = [(ytid, [n for n in labels.split(";") if n])
            for ytid, labels in csv.reader(io.StringIO("\n".join(body[1:])))]
    return mids, names, rows


def cooccurring_pairs(member: np.ndarray, min_clips: int = MIN_CLIPS,
                      min_lift: float = MIN_LIFT) -> list[CoPair]:
    """The class pairs of (N, C) bool label sets found together in at least ``min_clips``
    clips with lift above ``min_lift``, sorted by (i, j)."""
    m = np.asarray(member, dtype=np.float64)  # BLAS; counts stay exact below 2**53
    n, count = m.shape[0], m.T @ m
    single = np.diag(count)
    i, j = np.triu_indices(m.shape[1], 1)
    together = count[i, j]
    with np.errstate(invalid="ignore", divide="ignore"):
        lift = together * n / (single[i] * single[j])
    keep = np.flatnonzero((together >= min_clips) & (lift > min_lift))
    return [CoPair(int(i[k]), int(j[k]), int(together[k]), float(lift[k])) for k in keep]


def cooccurrence_graph(pairs: list[CoPair], member: np.ndarray, class_names: list[str]
                       ) -> Graph:
    """The true pairs as undirected audio:i --- audio:j edges of a (2C, 2C) graph, weight =
    the larger conditional rate, clips / min(clips of i, clips of j), in (0, 1]."""
    c = len(class_names)
    single = np.asarray(member).sum(axis=0)
    weight = np.zeros((2 * c, 2 * c), dtype=np.float32)
    for p in pairs:
        weight[p.i, p.j] = weight[p.j, p.i] = p.clips / min(single[p.i], single[p.j])
    return Graph(class_names=list(class_names), weight=weight, undirected=weight > 0,
                 sign=(weight > 0).astype(np.int8))


def draw_label_sets(sets: LabelSets, n: int, rng: np.random.Generator
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Class-balanced draw of ``n`` real label sets: (N,) int64 annotated classes, uniform
    over the C classes, and (N, C) bool event sets, each a real clip carrying its label,
    uniform among those (with replacement)."""
    c = sets.member.shape[1]
    label = rng.integers(0, c, n).astype(np.int64)
    source = np.empty(n, dtype=np.int64)
    for k in range(c):
        rows = np.flatnonzero(label == k)
        source[rows] = rng.choice(np.flatnonzero(sets.member[:, k]), size=rows.size)
    return label, sets.member[source]


def add_companions(level: np.ndarray, label: np.ndarray, member: np.ndarray,
                   secondary: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """Put each unannotated event of the (N, C) bool ``member`` into (2, N, C) ``level``:
    in audio always (AudioSet labels are audio labels), in visual with probability
    ``VISIBLE_RATE`` (off-screen sources), at intensity ~ U(secondary) per modality,
    replacing any background there. Returns ``level``, changed in place."""
    n = label.shape[0]
    others = np.asarray(member, dtype=bool).copy()
    others[np.arange(n), label] = False
    strength = rng.uniform(secondary[0], secondary[1], (2,) + others.shape)
    visible = rng.random(others.shape) < VISIBLE_RATE
    level[0] = np.where(others, strength[0], level[0])
    level[1] = np.where(others & visible, strength[1], level[1])
    return level
