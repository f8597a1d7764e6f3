"""``avili info --command``: the command line that made an artifact, rebuilt from its
provenance (config, input paths, seed), with only the options that differ from their
defaults.

Option names and defaults are read off the Click commands Typer builds for the real CLI
(:func:`click_command`), so the command line cannot drift from the options. A config field
that no option sets (e.g. one changed through the Python API) and that differs from its
default is reported in :attr:`Reproduction.unset` instead.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field, fields
from enum import Enum
from pathlib import Path
from typing import Any

from avili.config import (GRAPH_WEIGHT_GRID, LIR_WEIGHT_GRID, DistillConfig,
                          GraphConfig, TeachConfig, option_name)
from avili.errors import AviliError

# artifact kind -> (command, its config class, the inputs it needs)
STAGES = {"teacher": ("teach", TeachConfig, ("data",)),
          "soft_labels": ("teach", TeachConfig, ("data", "teacher")),
          "student": ("distill", DistillConfig, ("data",)),
          "graph": ("infer-graph", GraphConfig, ("soft",))}
# an option taking a number or "auto" -> (the config field holding the auto grid, the grid)
AUTO = {"lir_weight": ("lir_weight_grid", LIR_WEIGHT_GRID),
        "graph_weight": ("graph_weight_grid", GRAPH_WEIGHT_GRID)}


@dataclass
class Reproduction:
    """``argv``: the command's words, from ``avili``; ``unset``: config fields whose
    recorded value differs from the default but that no option sets."""

    argv: list[str]
    unset: dict[str, Any] = field(default_factory=dict)

    @property
    def line(self) -> str:
        """The command as one shell-quoted line."""
        return shlex.join(self.argv)


def click_command(*words: str) -> Any:
    """The Click command of ``avili <words>``, as Typer builds it for the real CLI."""
    import typer

    from avili.cli import app

    command = typer.main.get_command(app)
    for word in words:
        command = command.commands[word]
    return command


def reproduce(info: dict[str, Any]) -> Reproduction:
    """The command that reproduces an artifact described by :func:`avili.info.describe`
    (a teacher, a student, soft labels or an inferred graph)."""
    from avili.cli.config_file import option_keys

    stage = STAGES.get(info["kind"])
    inputs = {role: v.get("path") for role, v in (info.get("inputs") or {}).items()}
    if stage is None or not info.get("config") or not all(inputs.get(r) for r in stage[2]):
        raise AviliError("records no command to reproduce it; --command reproduces "
                         "teachers, students, soft labels and inferred graphs", info["path"])
    name, cls, _ = stage
    params = option_keys(click_command(name))
    paths = {**inputs, "out": info["path"]}
    if info["kind"] == "soft_labels":
        paths.update(out=inputs["teacher"], soft_out=info["path"])
    suffix = Path(info["path"]).suffix.lstrip(".")
    if name == "infer-graph" and suffix != "npz":  # a graph export (--format json)
        paths["formats"] = [suffix]
    argv = ["avili", name]
    for key, value in paths.items():
        if key in params:  # (the teacher of soft labels is their --out, above)
            argv += _words(params[key], value)
    values, unset = _option_values(info["config"], cls, params)
    for key, value in values.items():
        if not _same(value, params[key].default):
            argv += _words(params[key], value)
    return Reproduction(argv, unset)


def _option_values(config: dict[str, Any], cls: type, params: dict[str, Any]
                   ) -> tuple[dict[str, Any], dict[str, Any]]:
    """({parameter name: value} for the config fields an option sets, {field: value} for
    the others that differ from ``cls``'s defaults)."""
    defaults = {f.name: f.default for f in fields(cls)}
    values, unset = {}, {}
    grids = {grid for grid, _ in AUTO.values()}
    for key, value in config.items():
        if key in AUTO and key in params:
            grid, auto = AUTO[key]
            chosen = list(config.get(grid) or [])
            value = "auto" if chosen == list(auto) else value
            if chosen and value != "auto":
                unset[grid] = chosen
        option = option_name(key).lstrip("-").replace("-", "_")
        param = params.get(key) or params.get(option)
        if param is not None:
            values[param.name] = value
        elif key not in grids and not _same(value, defaults.get(key)):
            unset[key] = value
    return values, unset


def _same(value: Any, default: Any) -> bool:
    return _plain(value) == _plain(default)


def _plain(value: Any) -> Any:
    """Enums as their values, numbers and numeric strings as floats, tuples as lists."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _words(param: Any, value: Any) -> list[str]:
    """The command-line words that give ``param`` the value ``value``."""
    if isinstance(value, (list, tuple)) and getattr(param, "multiple", False):
        return [word for v in value for word in _words(param, v)]
    if param.param_type_name == "argument":
        return [str(value)]
    if getattr(param, "is_flag", False):
        return [param.opts[0]] if value else list(param.secondary_opts[:1])
    return [param.opts[0], str(value.value if isinstance(value, Enum) else value)]
