"""The built-in synthetic benchmark: AVE-like clips with planted latent interactions.

Generative rules (all drawn from ``numpy.random.default_rng(seed)``):

1. Each clip gets one annotated class y, uniformly; event y is present in both
   modalities, at an intensity ~ U(primary_strength_min, primary_strength_max) drawn
   per modality (a train may be loud on screen and quiet on the soundtrack).
2. ``rules`` planted links (X, m1) -> (Y, m2), X != Y, over distinct class pairs and
   cycling through the four modality pairings (a->a, a->v, v->a, v->v): a clip annotated
   X carries class Y's event in modality m2 with probability p ~ U(rule_prob_min,
   rule_prob_max), at intensity ~ U(secondary_strength_min, secondary_strength_max).
   Nobody annotates it.
3. Incidental background events: each (clip, class, modality) is switched on with
   probability ``background_rate`` at intensity ~ U(0.2, 0.5).
4. Features: the intensity vector (C,) mixes fixed class prototypes into a latent
   (latent_dim,) plus Gaussian noise. The prototypes are mutually orthogonal by default
   (latent_dim is raised to C if smaller), so the planted links are the only cross-class
   structure; ``orthogonal_prototypes=False`` draws them i.i.d. Gaussian, which makes
   some class pairs confusable by chance; a fixed random two-layer tanh network per modality
   maps it to Da (audio) or Dv (visual) dimensions, plus feature noise. The two
   modalities use different prototypes and networks, so alignment must be learned.

The per-modality event truth is stored as ``audio_events`` / ``visual_events``, and the
planted rules as a graph (weight = rule probability), so graph recovery can be scored.

``cooccurrence="audioset"`` replaces rules 1-2 with real event sets: the classes are those
of the shipped AudioSet subset, each clip's events are one real clip's label set, drawn
class-balanced, and the truth graph holds the class pairs that really co-occur; see
:mod:`avili.data.cooccurrence`. Background events, features and splits are as above.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterator

import numpy as np

from avili.artifacts import provenance
from avili.config import COOCCURRENCE, SyntheticConfig
from avili.data import cooccurrence as real
from avili.data.schema import Dataset
from avili.errors import AviliError
from avili.data.graphfile import Graph

AVE15 = ["Clock", "Motorcycle", "Train horn", "Bark", "Cat", "Bus", "Rodents/rats",
         "Toilet flush", "Acoustic guitar", "Frying (food)", "Chainsaw", "Horse", "Helicopter",
         "Infant cry", "Truck"]
PAIRINGS = ((0, 0), (0, 1), (1, 0), (1, 1))  # (source, target) modality: 0 audio, 1 visual


@dataclass(frozen=True)
class Rule:
    """Class ``source`` in modality ``source_mod`` brings class ``target``'s event in
    ``target_mod`` with probability ``prob`` (modality 0 = audio, 1 = visual)."""

    source: int
    source_mod: int
    target: int
    target_mod: int
    prob: float


def class_names_for(c: int) -> list[str]:
    """AVE's 15-class subset names for c <= 15, otherwise ``class_00``..."""
    return AVE15[:c] if c <= len(AVE15) else [f"class_{k:02d}" for k in range(c)]


def plant_rules(cfg: SyntheticConfig, rng: np.random.Generator) -> list[Rule]:
    """``cfg.rules`` rules over distinct unordered class pairs, pairings cycling a->a,
    a->v, v->a, v->v."""
    c = cfg.classes
    pairs = [(i, j) for i in range(c) for j in range(i + 1, c)]
    if cfg.rules > len(pairs):
        raise AviliError(f"--rules {cfg.rules} exceeds the {len(pairs)} class pairs of "
                         f"{c} classes")
    chosen = rng.choice(len(pairs), size=cfg.rules, replace=False)
    rules = []
    for r, k in enumerate(chosen):
        i, j = pairs[k]
        source, target = (i, j) if rng.random() < 0.5 else (j, i)
        sm, tm = PAIRINGS[r % 4]
        prob = float(rng.uniform(cfg.rule_prob_min, cfg.rule_prob_max))
        rules.append(Rule(int(source), sm, int(target), tm, prob))
    return rules


def sample_intensities(label: np.ndarray, rules: list[Rule], cfg: SyntheticConfig,
                       rng: np.random.Generator) -> np.ndarray:
    """(2, N, C) float event intensities per modality (0 = absent)."""
    n, c = label.shape[0], cfg.classes
    level = np.zeros((2, n, c))
    level[:, np.arange(n), label] = rng.uniform(cfg.primary_strength_min,
                                                cfg.primary_strength_max, (2, n))
    if cfg.absent_rate > 0:  # off-screen sounds and silent objects; no draws at rate 0
        gone = np.flatnonzero(rng.random(n) < cfg.absent_rate)
        level[rng.integers(0, 2, gone.size), gone, label[gone]] = 0.0
    for rule in rules:
        on = (label == rule.source) & (rng.random(n) < rule.prob)
        strength = rng.uniform(cfg.secondary_strength_min, cfg.secondary_strength_max, n)
        cur = level[rule.target_mod, :, rule.target]
        level[rule.target_mod, :, rule.target] = np.where(on, np.maximum(cur, strength), cur)
    background = rng.random((2, n, c)) < cfg.background_rate
    level = np.where(background & (level == 0), rng.uniform(0.2, 0.5, (2, n, c)), level)
    return level


def class_prototypes(c: int, latent: int, orthogonal: bool, rng: np.random.Generator
                     ) -> np.ndarray:
    """(c, latent) class directions with norm about sqrt(latent). ``orthogonal`` (needs
    c <= latent) makes them mutually orthogonal, so no two classes are confusable by
    construction; otherwise they are i.i.d. Gaussian and some pairs overlap by chance."""
    gaussian = rng.standard_normal((c, latent))
    if not orthogonal:
        return gaussian
    q, _ = np.linalg.qr(gaussian.T)
    return q.T * np.sqrt(latent)


CHUNK = 16_384  # clips rendered at once; large datasets stream chunk by chunk


@dataclass
class Renderer:
    """One modality's fixed random network, (k, C) intensities -> (k, dim) float32
    features, with its two noise streams: ``latent`` for the (k, latent) latent noise and
    ``feature`` for the (k, dim) feature noise. Each stream is a generator positioned where
    a one-shot draw of all N clips' noise would start, so rendering N clips in chunks
    draws exactly the numbers one (N, ...) draw would."""

    prototypes: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    latent: np.random.Generator
    feature: np.random.Generator
    cfg: SyntheticConfig

    def __call__(self, level: np.ndarray) -> np.ndarray:
        k, cfg = level.shape[0], self.cfg
        z = level @ self.prototypes + cfg.latent_noise * self.latent.standard_normal(
            (k, self.prototypes.shape[1]))
        x = np.tanh(z @ self.w1 + self.b1) @ self.w2
        return (x + cfg.feature_noise * self.feature.standard_normal(x.shape)).astype(np.float32)


def renderer(n: int, c: int, dim: int, cfg: SyntheticConfig, rng: np.random.Generator
             ) -> Renderer:
    """Draw one modality's network from ``rng`` and advance ``rng`` past the noise of
    ``n`` clips (drawn and discarded in chunks), as rendering all of them at once would."""
    hidden = 256
    latent = max(cfg.latent_dim, c) if cfg.orthogonal_prototypes else cfg.latent_dim
    prototypes = class_prototypes(c, latent, cfg.orthogonal_prototypes, rng)
    w1 = rng.standard_normal((latent, hidden)) / np.sqrt(latent)
    b1 = rng.standard_normal(hidden) * 0.1
    w2 = rng.standard_normal((hidden, dim)) / np.sqrt(hidden)
    streams = []
    for width in (latent, dim):
        streams.append(_copy(rng))
        for start in range(0, n, CHUNK):
            rng.standard_normal((min(CHUNK, n - start), width))
    return Renderer(prototypes, w1, b1, w2, streams[0], streams[1], cfg)


def _copy(rng: np.random.Generator) -> np.random.Generator:
    twin = np.random.Generator(type(rng.bit_generator)())
    twin.bit_generator.state = rng.bit_generator.state
    return twin


def assign_splits(label: np.ndarray, cfg: SyntheticConfig, rng: np.random.Generator
                  ) -> np.ndarray:
    """(N,) str splits, stratified by class."""
    split = np.empty(label.shape[0], dtype=object)
    for k in np.unique(label):
        idx = rng.permutation(np.flatnonzero(label == k))
        n_test = int(round(cfg.test_fraction * idx.size))
        n_val = int(round(cfg.val_fraction * idx.size))
        split[idx[:n_test]] = "test"
        split[idx[n_test:n_test + n_val]] = "val"
        split[idx[n_test + n_val:]] = "train"
    return split.astype(str)


def planted_graph(rules: list[Rule], class_names: list[str]) -> Graph:
    """The planted rules as a graph: weight[source node, target node] = probability."""
    c = len(class_names)
    weight = np.zeros((2 * c, 2 * c), dtype=np.float32)
    for rule in rules:
        weight[rule.source_mod * c + rule.source, rule.target_mod * c + rule.target] = rule.prob
    return Graph(class_names=class_names, weight=weight,
                 undirected=np.zeros_like(weight, dtype=bool),
                 sign=(weight > 0).astype(np.int8))


@dataclass
class Plan:
    """Everything but the features, drawn up front: (N,) labels, (N,) splits, the
    (2, N, C) intensities and each modality's :class:`Renderer`."""

    cfg: SyntheticConfig
    names: list[str]
    rules: list[Rule]
    label: np.ndarray
    level: np.ndarray
    split: np.ndarray
    render: tuple[Renderer, Renderer]
    real_sets: real.LabelSets | None = None  # cooccurrence="audioset": the real label sets

    def chunks(self, size: int = CHUNK) -> Iterator[tuple[slice, Dataset]]:
        """(rows, the clips of those rows) for consecutive ``size``-clip chunks."""
        n = self.label.shape[0]
        for start in range(0, n, size):
            rows = slice(start, min(n, start + size))
            level = self.level[:, rows]
            yield rows, Dataset(
                audio=self.render[0](level[0]), visual=self.render[1](level[1]),
                label=self.label[rows], split=self.split[rows],
                clip_id=np.array([f"syn{self.cfg.seed}-{k:05d}"
                                  for k in range(rows.start, rows.stop)]),
                class_names=self.names, audio_events=(level[0] > 0).astype(np.uint8),
                visual_events=(level[1] > 0).astype(np.uint8))

    def provenance(self, kind: str, **extra: Any) -> dict[str, Any]:
        if self.real_sets is not None:
            extra.update(inputs={"cooccurrence": self.real_sets.path},
                         cooccurrence=real.describe(self.real_sets))
        return provenance(kind, self.cfg, rules=[vars(r) for r in self.rules], **extra)

    def graph(self) -> Graph:
        if self.real_sets is not None:  # the truth: class pairs that really co-occur
            member = self.real_sets.member
            graph = real.cooccurrence_graph(real.cooccurring_pairs(member), member, self.names)
        else:
            graph = planted_graph(self.rules, self.names)
        graph.provenance = self.provenance("graph", source="planted")
        return graph


def plan(cfg: SyntheticConfig) -> Plan:
    """Draw the labels, splits, intensities and networks of the dataset ``cfg`` describes
    (memory: the (2, N, C) intensities; the features come chunk by chunk)."""
    if cfg.cooccurrence not in COOCCURRENCE:
        raise AviliError(f"unknown co-occurrence source {cfg.cooccurrence!r}; choose one of "
                         f"{', '.join(COOCCURRENCE)}")
    if cfg.label_sets and cfg.cooccurrence != "audioset":
        raise AviliError("--label-sets belongs to --cooccurrence audioset")
    sets = (real.load_label_sets(cfg.label_sets or None) if cfg.cooccurrence == "audioset"
            else None)
    if sets is not None:  # the real subset fixes the classes; nothing is planted
        cfg = replace(cfg, classes=len(sets.class_names), rules=0)
    if cfg.classes < 2 or cfg.clips < 10 * cfg.classes:
        raise AviliError(f"need at least 2 classes and 10 clips per class; got "
                         f"{cfg.classes} classes, {cfg.clips} clips")
    rng = np.random.default_rng(cfg.seed)
    if sets is None:
        names = class_names_for(cfg.classes)
        rules = plant_rules(cfg, rng)
        label = rng.integers(0, cfg.classes, cfg.clips).astype(np.int64)
        level = sample_intensities(label, rules, cfg, rng)
    else:
        names, rules, (label, level) = sets.class_names, [], real_events(sets, cfg, rng)
    render = (renderer(cfg.clips, cfg.classes, cfg.audio_dim, cfg, rng),
              renderer(cfg.clips, cfg.classes, cfg.visual_dim, cfg, rng))
    return Plan(cfg, names, rules, label, level, assign_splits(label, cfg, rng), render, sets)


def real_events(sets: real.LabelSets, cfg: SyntheticConfig, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray]:
    """(N,) int64 labels and (2, N, C) intensities from class-balanced real label sets: the
    annotated event and background as in :func:`sample_intensities` (no rules), then the
    clip's other real events (:func:`avili.data.cooccurrence.add_companions`)."""
    label, member = real.draw_label_sets(sets, cfg.clips, rng)
    level = sample_intensities(label, [], cfg, rng)
    secondary = (cfg.secondary_strength_min, cfg.secondary_strength_max)
    return label, real.add_companions(level, label, member, secondary, rng)


def generate(cfg: SyntheticConfig) -> tuple[Dataset, Graph]:
    """The synthetic dataset (in memory) and its planted graph, fully determined by ``cfg``.
    For datasets larger than memory, :func:`avili.api.extract_synthetic` writes
    :meth:`Plan.chunks` one at a time instead."""
    p = plan(cfg)
    parts = [part for _, part in p.chunks()]
    ds = Dataset(**{key: np.concatenate([getattr(part, key) for part in parts])
                    for key in ("audio", "visual", "label", "split", "clip_id",
                                "audio_events", "visual_events")},
                 class_names=p.names, provenance=p.provenance("dataset", source="synthetic"))
    return ds, p.graph()
