"""One typed config dataclass per stage; the resolved config is written into every
artifact the stage produces. Most fields are CLI flags of the same name (``lambda_value``
is ``--lambda``, ``max_memory_mb`` is ``--max-memory``, a ``*_grid`` is the ``auto`` value
of its weight); a few, like ``ci_samples`` or ``workers``, are set from Python only. The
fields are also the keyword options of the Python API (:mod:`avili.workflow`), and
:func:`configure` is where those are checked.

This module imports nothing heavy, so the CLI can build configs before torch loads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from avili.checks import (  # noqa: F401 (re-exported: the checks were defined here)
    OPTION_NAMES, POSITIVE, SEED_RANGE, check_choices, check_fields, check_fraction_sum,
    check_range, option_name)

SPLITS = ("train", "val", "test")
GRAPH_FORMATS = ("npz", "json", "csv", "dot", "graphml")
GRAPH_ALGORITHMS = ("grasp", "boss")
GRAPH_BACKENDS = ("fast", "causal-learn")
AUDIO_BACKBONES = ("logmel", "hf")
VISUAL_BACKBONES = ("pixels", "hf")
COOCCURRENCE = ("planted", "audioset")  # SyntheticConfig.cooccurrence
TEACHER_MODES = ("aligned", "independent", "fused")
INPUT_KINDS = ("auto", "probs", "probs-linear", "logits")  # GraphConfig.input_kind
MINING = ("hard", "semihard")
RELEVANCE = ("label", "events", "harvested")
MAP_VARIANTS = ("standard", "cumulative")
DEVICES = ("auto", "cpu", "cuda")
AMP_MODES = ("off", "bf16", "fp16")  # --amp; CUDA only (avili/train/precision.py)


TRAINING_BOUNDS = {"epochs": (1, math.inf), "batch_size": (2, math.inf),
                   "lr": (POSITIVE, math.inf), "weight_decay": (0, math.inf),
                   "hidden": (1, math.inf), "dropout": (0, 0.99), "seed": SEED_RANGE,
                   "max_memory_mb": (0, math.inf)}


@dataclass
class SyntheticConfig:
    """``avili extract --synthetic``: an AVE-like dataset with planted latent interactions."""

    classes: int = 15
    clips: int = 4000
    audio_dim: int = 128
    visual_dim: int = 1024
    latent_dim: int = 32
    orthogonal_prototypes: bool = True  # classes not confusable by construction
    # planted cross-class links, spread over all four modality pairings; None: one per class
    # (at most one per class pair)
    rules: int | None = None
    # where event sets come from: planted (rules above) | audioset (real AudioSet clips'
    # label sets; the class count is the shipped subset's, classes and rules are ignored;
    # see avili.data.cooccurrence)
    cooccurrence: str = "planted"
    # audioset: the label-set file (the format bench/make_audioset_subset.py writes); ""
    # the shipped subset
    label_sets: str = ""
    rule_prob_min: float = 0.5
    rule_prob_max: float = 0.8
    primary_strength_min: float = 0.4  # per-modality intensity of the annotated event
    primary_strength_max: float = 1.0
    secondary_strength_min: float = 0.4  # intensity of a co-occurring, unannotated event
    secondary_strength_max: float = 1.0
    background_rate: float = 0.02  # per clip, class and modality
    absent_rate: float = 0.0  # share of clips whose annotated event is missing in one modality
    latent_noise: float = 0.7
    feature_noise: float = 0.1
    val_fraction: float = 0.15
    test_fraction: float = 0.25
    seed: int = 0

    def __post_init__(self) -> None:
        check_range("--num-classes", self.classes, 2, keyword="classes")
        if self.rules is None:
            self.rules = min(self.classes, self.classes * (self.classes - 1) // 2)
        check_fields(self, clips=(1, math.inf), rules=(0, math.inf),
                     audio_dim=(1, math.inf), visual_dim=(1, math.inf),
                     latent_dim=(1, math.inf), absent_rate=(0, 1), val_fraction=(0, 1),
                     test_fraction=(0, 1), seed=SEED_RANGE, background_rate=(0, 1),
                     latent_noise=(0, math.inf), feature_noise=(0, math.inf))
        check_fraction_sum(self.val_fraction, self.test_fraction)


@dataclass
class TeachConfig:
    """``avili teach``: the AV-SAL teacher (per-modality sigmoid heads + alignment)."""

    mode: str = "independent"  # independent | aligned (AV-SAL) | fused (one head)
    negatives: str = "epr"  # unannotated classes: epr | weak | assume (BCE); losses/spml.py
    negative_weight: float = 0.0  # weak: weight of each assumed negative; 0 = 1/(C-1)
    expected_positives: float = 2.0  # epr: expected events per clip and modality
    harvest_quantile: float = 0.95  # VALOR-style label harvesting threshold, see teach.py
    epochs: int = 80
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-4
    hidden: int = 256
    dropout: float = 0.3
    align_weight: float = 1.0
    calibrate: bool = True
    max_memory_mb: float = 0.0  # beyond this, features stream from disk; 0 = a quarter of RAM
    seed: int = 0
    device: str = "auto"
    amp: str = "off"  # off | bf16 | fp16: autocast on CUDA
    tf32: bool = False  # TF32 matmuls on CUDA

    def __post_init__(self) -> None:
        check_fields(self, **TRAINING_BOUNDS, align_weight=(0, math.inf),
                     harvest_quantile=(0, 1), expected_positives=(POSITIVE, math.inf),
                     negative_weight=(0, 1))
        check_choices(self, mode=TEACHER_MODES, negatives=TEACHER_NEGATIVES, device=DEVICES,
                      amp=AMP_MODES)


@dataclass
class GraphConfig:
    """``avili infer-graph``: GRaSP or BOSS on train-split soft labels."""

    lambda_value: float = 1.0
    depth: int = 3
    input_kind: str = "auto"  # auto | probs (-> log-odds) | probs-linear | logits (as is)
    algorithm: str = "grasp"  # grasp | boss (best order score search; for large label spaces)
    backend: str = "fast"  # fast (avili, same graphs) | causal-learn
    top_k: int = 0  # 0 keeps every edge GRaSP finds
    min_lift: float = 2.0  # co-occurrence edges need soft-label lift >= this; 0 keeps all
    restarts: int = 1  # seeds seed..seed+R-1; the best BIC score wins
    bootstrap: int = 0  # resamples of the rows, for edge frequencies
    min_frequency: float = 0.0  # drop edges adjacent in fewer of the runs
    workers: int = 0  # parallel runs; 0 = every core
    max_memory_mb: float = 0.0  # GRaSP's search trees, all runs together; 0 = RAM / 4
    split: str = "train"
    seed: int = 0

    def __post_init__(self) -> None:
        check_fields(self, lambda_value=(POSITIVE, math.inf), depth=(0, math.inf),
                     top_k=(0, math.inf), min_lift=(0, math.inf), seed=SEED_RANGE,
                     restarts=(1, math.inf), bootstrap=(0, math.inf),
                     min_frequency=(0, 1), workers=(0, math.inf),
                     max_memory_mb=(0, math.inf))
        check_choices(self, input_kind=INPUT_KINDS, algorithm=GRAPH_ALGORITHMS,
                      backend=GRAPH_BACKENDS)


METRIC_LOSSES = ("supcon", "triplet", "proxy-triplet", "infonce", "fnac", "cpsp")
LIR_FORMS = ("graded", "eliminate", "pull", "pair")  # avili/losses/lir.py
TEACHER_NEGATIVES = ("epr", "weak", "assume")  # avili/losses/spml.py
LIR_WEIGHT_GRID = (0.5, 1.0, 2.0)  # --lir-weight auto
GRAPH_WEIGHT_GRID = (0.0, 0.5, 1.0)  # --graph-weight auto


@dataclass
class DistillConfig:
    """``avili distill``: the student, a cross-modal metric loss plus LIR."""

    loss: str = "supcon"  # supcon | triplet | proxy-triplet | infonce | fnac | cpsp
    mining: str = "hard"  # triplet: hard (batch-hard) | semihard
    temperature: float = 0.0  # infonce, supcon, fnac; 0 = the loss's default
    fnac_weight: float = 100.0  # FNAC's false-negative suppression terms
    fnac_warmup: int = 5  # epochs before those terms switch on
    cpsp_weight: float = 100.0  # CPSP's pair-level term
    cpsp_margin: float = 0.2  # CPSP's ranking margin
    epochs: int = 80
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-4
    hidden: int = 512
    embed_dim: int = 128
    dropout: float = 0.2
    margin: float = 0.3
    lir: str = "graded"  # graded | eliminate | pull | pair (avili/losses/lir.py)
    lir_weight: float = 1.0
    graph_weight: float = 0.5  # graded/eliminate: the graph's share of the pair probability
    # auto selection on val (avili/train/select.py): empty = the single value above
    lir_weight_grid: tuple[float, ...] = LIR_WEIGHT_GRID
    graph_weight_grid: tuple[float, ...] = ()
    tolerance: float = 0.003  # val avg mAP a stronger candidate may give up
    pair_edge_weight: float = 0.4  # pair: weight of a clip whose audio:y-visual:y is an edge
    gather: bool = True  # under torchrun: loss over the gathered global batch
    max_memory_mb: float = 0.0  # beyond this, features stream from disk; 0 = a quarter of RAM
    seed: int = 0
    device: str = "auto"
    amp: str = "off"  # off | bf16 | fp16: autocast on CUDA
    tf32: bool = False  # TF32 matmuls on CUDA

    def __post_init__(self) -> None:
        check_range("--lir-weight", [self.lir_weight, *self.lir_weight_grid], 0.0,
                    keyword="lir_weight")
        check_range("--graph-weight", [self.graph_weight, *self.graph_weight_grid], 0.0, 1.0,
                    "graph_weight")
        check_fields(self, **TRAINING_BOUNDS, embed_dim=(1, math.inf), margin=(0, math.inf),
                     temperature=(0, math.inf), fnac_weight=(0, math.inf),
                     fnac_warmup=(0, math.inf), cpsp_weight=(0, math.inf),
                     cpsp_margin=(0, math.inf), pair_edge_weight=(0, math.inf),
                     tolerance=(0, math.inf))
        check_choices(self, loss=METRIC_LOSSES, mining=MINING, lir=LIR_FORMS, device=DEVICES,
                      amp=AMP_MODES)


@dataclass
class EvalConfig:
    """``avili eval``: standard mAP over the full ranked gallery, and related metrics."""

    split: str = "test"
    relevance: str = "label"
    ks: tuple[int, ...] = (1, 5, 10)  # cutoffs for P@k and R@k
    ci: bool = False  # bootstrap 95% CIs over queries
    ci_samples: int = 1000
    map_variant: str = "standard"  # standard | cumulative (also report the NON-STANDARD one)
    chunk: int = 0  # queries per scoring chunk; 0 = about 2^21 scores
    workers: int = 2  # threads scoring chunks
    seed: int = 0  # bootstrap resampling
    max_memory_mb: float = 0.0  # features beyond this stay on disk; 0 = a quarter of RAM
    device: str = "auto"  # where the models embed the split: auto | cpu | cuda

    def __post_init__(self) -> None:
        check_range("P@k cutoffs (ks)", self.ks, 1)
        check_fields(self, ci_samples=(1, math.inf), chunk=(0, math.inf),
                     workers=(1, math.inf), seed=SEED_RANGE, max_memory_mb=(0, math.inf))
        check_choices(self, split=SPLITS, relevance=RELEVANCE, map_variant=MAP_VARIANTS,
                      device=DEVICES)


@dataclass
class IndexConfig:
    """``avili retrieve index``: embed a split once into a gallery file."""

    split: str | None = None  # None: every clip
    ivfpq: bool = False  # also build faiss IVF-PQ indexes (avili[faiss])
    nlist: int = 1024  # inverted lists (about sqrt(N) to 4 sqrt(N))
    pq_m: int = 0  # sub-quantizers; must divide the embedding size; 0: half of it
    nbits: int = 4  # 4: faiss's fast-scan IVF-PQ; other sizes the classic one
    recall_queries: int = 1000  # queries that measure IVF-PQ recall@10 against exact search
    nprobe: int = 16  # lists probed when measuring that recall
    k_factor: int = 20  # and candidates per hit re-ranked exactly (as SearchConfig)
    max_memory_mb: float = 0.0  # features beyond this stay on disk; 0 = a quarter of RAM
    seed: int = 0
    device: str = "auto"  # where the model embeds the gallery: auto | cpu | cuda

    def __post_init__(self) -> None:
        check_fields(self, nlist=(1, math.inf), pq_m=(0, math.inf), nbits=(1, 16),
                     recall_queries=(1, math.inf), nprobe=(1, math.inf),
                     k_factor=(1, math.inf), max_memory_mb=(0, math.inf), seed=SEED_RANGE)


@dataclass
class SearchConfig:
    """``avili retrieve search``: top-k queries against a gallery file."""

    k: int = 10
    direction: str = "a2v"  # a2v: audio queries, visual gallery; v2a the reverse
    approximate: bool = False  # use the gallery's IVF-PQ index instead of exact search
    nprobe: int = 16
    k_factor: int = 20  # approximate: k * k_factor IVF-PQ candidates re-ranked exactly
    memory_mb: int = 256  # exact search's score buffer (the torch path, without faiss)

    def __post_init__(self) -> None:
        check_fields(self, k=(1, math.inf), nprobe=(1, math.inf), k_factor=(1, math.inf),
                     memory_mb=(1, math.inf))


@dataclass
class ImportConfig:
    """``avili extract --from``: convert published feature files into an avili dataset."""

    classes: list[str] | None = None  # keep only these classes (by name), in this order
    class_names_file: str | None = None  # one name per line, where the source has none
    val_fraction: float = 0.1  # carved from train, stratified, when the source has no val
    chunk_rows: int = 512  # rows read per chunk: memory stays bounded for huge files
    seed: int = 0

    def __post_init__(self) -> None:
        check_fields(self, val_fraction=(0, 0.99), chunk_rows=(1, math.inf), seed=SEED_RANGE)
        if self.classes is not None and len(set(self.classes)) != len(self.classes):
            from avili.errors import AviliError

            raise AviliError(f"--classes names a class twice: {self.classes}")


@dataclass
class VideoConfig:
    """``avili extract --videos``: decode raw videos and embed them with backbones."""

    audio_backbone: str = "logmel"  # logmel (weight-free) | hf (transformers, audio_weights)
    visual_backbone: str = "pixels"  # pixels (weight-free) | hf (transformers, visual_weights)
    audio_weights: str | None = None  # hf: hub id or local save_pretrained folder
    visual_weights: str | None = None
    sample_rate: int = 16000  # logmel only; hf decodes at its feature extractor's rate
    fps: float = 1.0  # frames sampled per second (one visual segment each)
    start: float = 0.0  # time window, seconds
    duration: float | None = None  # None: to the end of each file
    keep_segments: bool = False  # also write <out stem>.segments.npz
    batch_size: int = 16  # clips per embedding chunk, and backbone batch size
    workers: int = 1  # decoding threads
    shard: str | None = None  # "i/n": the CSV rows whose index % n == i
    strict: bool = False  # stop at the first unusable video instead of skipping it
    val_fraction: float = 0.1  # without a split column: val and test each, per class
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        check_fields(self, sample_rate=(1, math.inf), fps=(POSITIVE, math.inf),
                     start=(0, math.inf), batch_size=(1, math.inf), workers=(1, math.inf),
                     val_fraction=(0, 0.49), seed=SEED_RANGE)
        if self.duration is not None:
            check_range("--duration", self.duration, POSITIVE)


@dataclass
class DemoConfig:
    """``avili demo``: the whole pipeline on the synthetic default, baseline vs LIR."""

    synthetic: SyntheticConfig = field(default_factory=SyntheticConfig)
    teach: TeachConfig = field(default_factory=TeachConfig)
    graph: GraphConfig = field(default_factory=GraphConfig)
    distill: DistillConfig = field(default_factory=DistillConfig)

    def with_seed(self, seed: int) -> "DemoConfig":
        """This config with ``seed`` for every stage."""
        return replace_seed(self, seed)


def config_from_dict(cls: type, values: Mapping[str, Any]) -> Any:
    """Rebuild a flat config dataclass from a stored dict, ignoring unknown keys."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in names})


def replace_seed(cfg: DemoConfig, seed: int) -> DemoConfig:
    """The demo config with one seed for every stage."""
    from dataclasses import replace

    return DemoConfig(synthetic=replace(cfg.synthetic, seed=seed),
                      teach=replace(cfg.teach, seed=seed), graph=replace(cfg.graph, seed=seed),
                      distill=replace(cfg.distill, seed=seed))


def demo_config(seed: int = 0, clips: int | None = None, epochs: int | None = None
                ) -> DemoConfig:
    """The demo's config with one ``seed`` for every stage, ``clips`` synthetic clips and
    ``epochs`` training epochs for the teacher and both students (None: the defaults)."""
    from dataclasses import replace

    cfg = replace_seed(DemoConfig(), seed)
    if clips is not None:
        cfg.synthetic = replace(cfg.synthetic, clips=clips)
    if epochs is not None:
        cfg.teach = replace(cfg.teach, epochs=epochs)
        cfg.distill = replace(cfg.distill, epochs=epochs)
    return cfg


def configure(cls: type, config: Any, options: dict[str, Any], where: str) -> Any:
    """``config`` (default: ``cls()``) with ``options`` replacing its fields; an option
    that is not a field of ``cls`` is refused, naming the function and the valid names."""
    from dataclasses import replace

    from avili.errors import AviliError

    if config is not None and not isinstance(config, cls):
        raise AviliError(f"{where}: config must be a {cls.__name__}, got "
                         f"{type(config).__name__}")
    names = [f.name for f in fields(cls)]
    unknown = sorted(set(options) - set(names))
    if unknown:
        raise AviliError(f"{where}: unknown option {unknown[0]!r}; expected one of "
                         f"{', '.join(names)}")
    return cls(**options) if config is None else replace(config, **options)
