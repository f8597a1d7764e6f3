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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from avili.artifacts import provenance
from avili.config import SyntheticConfig
from avili.data.schema import Dataset
from avili.errors import AviliError
from avili.graph.graphfile import Graph

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


def render(level: np.ndarray, dim: int, cfg: SyntheticConfig, rng: np.random.Generator
           ) -> np.ndarray:
    """(N, C) intensities -> (N, dim) float32 features through a fixed random tanh net."""
    c, hidden = level.shape[1], 256
    latent = max(cfg.latent_dim, c) if cfg.orthogonal_prototypes else cfg.latent_dim
    prototypes = class_prototypes(c, latent, cfg.orthogonal_prototypes, rng)
    w1 = rng.standard_normal((latent, hidden)) / np.sqrt(latent)
    b1 = rng.standard_normal(hidden) * 0.1
    w2 = rng.standard_normal((hidden, dim)) / np.sqrt(hidden)
    z = level @ prototypes + cfg.latent_noise * rng.standard_normal((level.shape[0], latent))
    x = np.tanh(z @ w1 + b1) @ w2
    return (x + cfg.feature_noise * rng.standard_normal(x.shape)).astype(np.float32)


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


def generate(cfg: SyntheticConfig) -> tuple[Dataset, Graph]:
    """The synthetic dataset and its planted graph, fully determined by ``cfg``."""
    if cfg.classes < 2 or cfg.clips < 10 * cfg.classes:
        raise AviliError(f"need at least 2 classes and 10 clips per class; got "
                         f"{cfg.classes} classes, {cfg.clips} clips")
    rng = np.random.default_rng(cfg.seed)
    names = class_names_for(cfg.classes)
    rules = plant_rules(cfg, rng)
    label = rng.integers(0, cfg.classes, cfg.clips).astype(np.int64)
    level = sample_intensities(label, rules, cfg, rng)
    audio = render(level[0], cfg.audio_dim, cfg, rng)
    visual = render(level[1], cfg.visual_dim, cfg, rng)
    split = assign_splits(label, cfg, rng)
    record = provenance("dataset", cfg, source="synthetic",
                        rules=[vars(r) for r in rules])
    ds = Dataset(audio=audio, visual=visual, label=label, split=split,
                 clip_id=np.array([f"syn{cfg.seed}-{k:05d}" for k in range(cfg.clips)]),
                 class_names=names, audio_events=(level[0] > 0).astype(np.uint8),
                 visual_events=(level[1] > 0).astype(np.uint8), provenance=record)
    graph = planted_graph(rules, names)
    graph.provenance = provenance("graph", cfg, source="planted", rules=[vars(r) for r in rules])
    return ds, graph
