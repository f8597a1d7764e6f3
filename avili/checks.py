"""Checks of config values, shared by every config and the CLI: ranges and choices,
with messages that name the CLI option and the Python keyword alike. Imports nothing
heavy."""

from __future__ import annotations

import math
from typing import Any, Iterable


POSITIVE = 1e-12  # the lower bound of a quantity that must be > 0


def check_range(option: str, values: float | Iterable[float], low: float,
                high: float = math.inf, keyword: str | None = None) -> None:
    """Refuse a value (or any of several) that is not finite or lies outside
    [low, high], naming the CLI option and, when given, the Python ``keyword`` (the
    config field) it sets, so the message reads right from either side."""
    from avili.errors import AviliError

    for value in ([values] if isinstance(values, (int, float)) else values):
        if not (math.isfinite(value) and low <= value <= high):
            above = "> 0" if low == POSITIVE else f">= {low:g}"
            bounds = above if high == math.inf else f"{above} and <= {high:g}" if isinstance(
                high, float) else f"{above} and <= {high}"
            python = f" (Python: {keyword}=)" if keyword else ""
            raise AviliError(f"{option} must be a finite number {bounds}; got {value!r}{python}")


SEED_RANGE = (0, 2**63 - 1)
OPTION_NAMES = {"lambda_value": "--lambda", "max_memory_mb": "--max-memory"}


def check_fraction_sum(val: float, test: float) -> None:
    """Val and test shares must leave clips to train on."""
    if val + test >= 1:
        from avili.errors import AviliError

        raise AviliError(f"--val-fraction {val:g} and --test-fraction {test:g} leave no "
                         f"clips to train on; their sum must be below 1")


def option_name(field: str) -> str:
    """The CLI option that sets config ``field``: ``--max-memory`` for ``max_memory_mb``."""
    return OPTION_NAMES.get(field, "--" + field.replace("_", "-"))


def check_choices(cfg: Any, **allowed: tuple[str, ...]) -> None:
    """Refuse a field of ``cfg`` whose value is not one of its ``allowed`` values, naming
    the CLI option and the Python keyword."""
    for name, values in allowed.items():
        value = getattr(cfg, name)
        if value not in values:
            from avili.errors import AviliError

            option = option_name(name)
            raise AviliError(f"unknown {option} {value!r}; expected one of "
                             f"{', '.join(values)} (Python: {name}=)")


def check_fields(cfg: Any, **bounds: tuple[float, float]) -> None:
    """:func:`check_range` for each named field of ``cfg``, naming its CLI option."""
    for name, (low, high) in bounds.items():
        option = option_name(name)
        check_range(option, getattr(cfg, name), low, high, name)
