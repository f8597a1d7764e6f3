"""The student: audio and visual encoders into a shared space, trained with a cross-modal
metric loss plus LIR. ``lir_weight = 0`` is the plain baseline (same loss, same batches)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from avili.config import DistillConfig
from avili.data.schema import Dataset
from avili.data.softlabels import SoftLabels
from avili.errors import AviliError
from avili.eval.evaluate import evaluate_split
from avili.data.graphfile import Graph
from avili.losses import build_metric_loss
from avili.losses.combined import ELIMINATING, StudentLoss
from avili.models import TwoTower, build_student
from avili.progress import Progress
from avili.train.distributed import World, setup, wrap
from avili.train.loop import FitResult, fit, resolve_device, seed_everything
from avili.train.precision import create_precision
from avili.train.state import resumable as make_resumable
from avili.train.stream import InMemory, Pooled, training_inputs


@dataclass
class StudentResult:
    """The best-val-epoch model, the fit log, and the (C, C) class links LIR used."""

    model: TwoTower
    fit: FitResult
    links: np.ndarray
    training: dict = field(default_factory=dict)  # how features were served (stream.py)
    config: DistillConfig | None = None  # the config trained (the chosen one under "auto")
    selection: dict | None = None  # the val curve of --lir-weight auto (train/select.py)
    candidates: dict | None = None  # auto: every candidate, by (lir_weight, graph_weight)


def train_student(ds: Dataset, cfg: DistillConfig, soft: SoftLabels | None = None,
                  graph: Graph | None = None, progress: Progress | None = None,
                  state_file: Path | None = None, resume: bool = False,
                  inputs: dict | None = None) -> StudentResult:
    """Train on the train split and keep the epoch with the best val average mAP.

    ``soft`` must be aligned row-for-row with ``ds`` (see ``align_to_dataset``) and hold
    probabilities; ``soft`` and ``graph`` are needed only when ``cfg.lir_weight > 0``.
    ``state_file`` keeps the per-epoch training state; ``resume`` continues from it, if
    ``inputs`` (the identities of the input files) match too.
    """
    world = setup(resolve_device(cfg.device))
    device = world.device
    precision = create_precision(cfg.amp, cfg.tf32, device)
    generator = seed_everything(cfg.seed)
    train = ds.indices("train")
    ds.indices("val")
    model = build_student(ds.audio.shape[1], ds.visual.shape[1], cfg.hidden, cfg.embed_dim,
                          cfg.dropout)
    features, val = training_inputs(model, ds, cfg, device)
    model.to(device)
    metric = build_metric_loss(cfg, ds.num_classes)
    loss, links = _student_loss(cfg, metric, soft, graph, ds.num_classes)
    loss.to(device)
    use_soft = loss.form in ("graded", "eliminate", "pull")
    none = np.zeros((len(ds), 0), np.float32)
    t = {k: torch.as_tensor(v, device=device) for k, v in  # all N rows: on the CPU, no copy
         {"label": ds.label, "soft_audio": soft.audio if use_soft else none,
          "soft_visual": soft.visual if use_soft else none}.items()}
    t["row"] = torch.as_tensor(train, device=device)  # train position -> dataset row
    step = _step(wrap(model, world), world, features, t, loss, cfg)

    def validate() -> float:
        return evaluate_split(model, val, "val", "label", device)["avg_mAP"]

    params = list(model.parameters()) + list(loss.parameters())  # e.g. class proxies
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    resumable = make_resumable(state_file, {**asdict(cfg), "inputs": inputs}, resume,
                               world.main, device,
                               {"metric": metric, "scaler": precision.scaler})
    result = fit(model, step, features.epoch, cfg.epochs, cfg.batch_size, optimizer, validate,
                 generator, progress, "distill",
                 on_epoch=lambda epoch: setattr(metric, "epoch", epoch), resumable=resumable,
                 batch_multiple=world.size, val_text="val mAP {:.4f}".format,
                 precision=precision)
    features.release()
    model.load_state_dict(result.best_state)
    model.eval()
    return StudentResult(model=model, fit=result, links=links,
                         training={**features.describe(), **precision.describe()})


def _step(trained: torch.nn.Module, world: World, features: InMemory | Pooled,
          t: dict[str, torch.Tensor], loss: StudentLoss, cfg: DistillConfig
          ) -> Callable[[torch.Tensor], dict[str, torch.Tensor]]:
    """The loss terms of one global batch ``idx`` of train positions (``features``: their
    features; ``t``: (N,) labels and (N, C) soft labels of every clip, and ``row``, the
    (n,) dataset row of each train position)."""

    def step(idx: torch.Tensor) -> dict[str, torch.Tensor]:
        mine = world.shard(idx)
        audio, visual = trained(*features(mine))
        if cfg.gather:  # the whole global batch, in the order the slices are gathered
            audio, visual, idx = world.gather(audio), world.gather(visual), world.global_order(idx)
        else:
            idx = mine
        rows = t["row"][idx]
        return loss(audio, visual, t["label"][rows], t["soft_audio"][rows],
                    t["soft_visual"][rows])

    return step


def _student_loss(cfg: DistillConfig, metric: torch.nn.Module, soft: SoftLabels | None,
                  graph: Graph | None, num_classes: int) -> tuple[StudentLoss, np.ndarray]:
    """The metric loss with ``cfg.lir`` at ``cfg.lir_weight``, and the (C, C) class links
    it uses (zeros for the plain student)."""
    links = np.zeros((num_classes, num_classes), dtype=np.float32)
    if cfg.lir_weight <= 0:
        return StudentLoss(metric), links
    check_lir_inputs(cfg, soft, graph)
    links = graph.class_links(positive_only=True)
    self_links = np.diag(graph.weight[:num_classes, num_classes:]) > 0
    self_links |= np.diag(graph.weight[num_classes:, :num_classes]) > 0
    return StudentLoss(metric, cfg.lir, cfg.lir_weight,
                       event_links=torch.as_tensor(graph.event_links(positive_only=True)),
                       class_links=torch.as_tensor(links), self_links=torch.as_tensor(self_links),
                       graph_weight=cfg.graph_weight,
                       temperature=cfg.temperature or 0.1,
                       pair_edge_weight=cfg.pair_edge_weight), links


def check_lir_inputs(cfg: DistillConfig, soft: SoftLabels | None, graph: Graph | None
                     ) -> None:
    """Refuse, before any training, a LIR configuration its inputs cannot serve."""
    if cfg.lir == "eliminate" and cfg.loss not in ELIMINATING:
        raise AviliError(f"--lir eliminate needs a loss with negatives to weigh "
                         f"({', '.join(ELIMINATING)}); --loss {cfg.loss} has none")
    if graph is None or (soft is None and cfg.lir != "pair"):
        raise AviliError("LIR (--lir-weight > 0) needs --soft and --graph; use --lir-weight 0 "
                         "for the plain baseline")
    if soft is not None and cfg.lir != "pair":
        _check_probabilities(soft)


def _check_probabilities(soft: SoftLabels) -> None:
    low, high = float(min(soft.audio.min(), soft.visual.min())), float(
        max(soft.audio.max(), soft.visual.max()))
    if low < 0 or high > 1:
        raise AviliError(f"LIR weights pairs by soft-label probabilities, but these values span "
                         f"[{low:.3g}, {high:.3g}], outside [0, 1]", soft.path)
