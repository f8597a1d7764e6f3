"""Losses, each a small module returning a dict of named terms (the metric losses always
include ``"metric"``, the term the student minimizes).

``METRIC_LOSSES`` names the choices of ``avili distill --loss``; :func:`build_metric_loss`
builds one from the stage config, :func:`metric_loss` from keyword options. Every loss is
also a pytorch-metric-learning loss through :func:`as_pml` (:mod:`avili.losses.pml`).
"""

from __future__ import annotations

from typing import Any

from avili.config import METRIC_LOSSES  # noqa: F401 (the --loss names)
from avili.losses.alignment import SoftLabelAlignment  # noqa: F401
from avili.losses.contrastive import CPSP, FNAC, InfoNCE, SupCon
from avili.losses.spml import TEACHER_NEGATIVES, SinglePositiveLoss  # noqa: F401
from avili.losses.lir import LatentInteractionRegularizer, lir_pair_weights  # noqa: F401
from avili.losses.combined import StudentLoss  # noqa: F401
from avili.losses.triplet import CrossModalTriplet, ProxyTriplet

DEFAULT_TEMPERATURE = {"infonce": 0.07, "supcon": 0.1, "fnac": 0.03}


def build_metric_loss(cfg: Any, num_classes: int) -> Any:
    """The ``cfg.loss`` module (``cfg`` a DistillConfig); ``cfg.temperature`` 0 means
    the loss's own default (InfoNCE 0.07, SupCon 0.1, FNAC 0.03 as in its paper)."""
    temperature = cfg.temperature or DEFAULT_TEMPERATURE.get(cfg.loss, 0.0)
    builders = {
        "triplet": lambda: CrossModalTriplet(cfg.margin, cfg.mining),
        "proxy-triplet": lambda: ProxyTriplet(num_classes, cfg.embed_dim, cfg.margin, cfg.seed),
        "infonce": lambda: InfoNCE(temperature),
        "supcon": lambda: SupCon(temperature),
        "fnac": lambda: FNAC(temperature, cfg.fnac_weight, cfg.fnac_warmup),
        "cpsp": lambda: CPSP(cfg.cpsp_weight, cfg.cpsp_margin),
    }
    if cfg.loss not in builders:
        raise ValueError(f"unknown loss {cfg.loss!r}; expected one of "
                         f"{', '.join(METRIC_LOSSES)}")
    return builders[cfg.loss]()


def metric_loss(name: str, num_classes: int = 0, **options: Any) -> Any:
    """The metric loss ``name`` (one of ``METRIC_LOSSES``) with ``options`` from
    :class:`avili.config.DistillConfig`'s fields (``margin``, ``temperature``,
    ``embed_dim``...) and the CLI's defaults for the rest. ``num_classes``: needed by
    ``proxy-triplet`` only."""
    from avili.config import DistillConfig, configure

    return build_metric_loss(configure(DistillConfig, None, {"loss": name, **options},
                                       "metric_loss"), num_classes)


def __getattr__(name: str) -> Any:
    if name in ("PMLLoss", "as_pml"):  # imports pytorch-metric-learning: on first use
        from avili.losses import pml

        return getattr(pml, name)
    raise AttributeError(f"module 'avili.losses' has no attribute {name!r}")
