"""``--config FILE``: a TOML file of option values for one command.

Keys are the command's option names, with dashes or underscores (``batch-size = 64``,
``batch_size = 64``, ``lambda = 2``, ``json = true``); a positional argument goes by its
name (``soft = "soft.npz"`` for infer-graph). The values become the command's defaults
(Click's ``default_map``), so a flag typed on the command line overrides the file. Paths
in the file are read relative to the working folder, as on the command line.

An unknown key, a value of the wrong type or an unreadable file is a usage error naming
the file and the key: one line and exit code 2, like every avili usage error.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from types import UnionType
from typing import Any, Optional, Union, get_args, get_origin

from avili.cli._click import click_exceptions

CONFIG_HELP = ("TOML file of option values (keys: option names, e.g. epochs = 20); options "
               "typed on the command line override it.")
_KINDS = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def read_config(ctx: Any, param: Any, value: Optional[Path]) -> None:
    """The eager ``--config`` callback: the file's values as ``ctx.default_map``."""
    if value is None or ctx.resilient_parsing:
        return
    table = _load(ctx, value)
    ctx.default_map = {**(ctx.default_map or {}), **defaults(ctx, value, table)}


def _load(ctx: Any, path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise _error(ctx, path, "reading TOML needs Python 3.11 or 'pip install "
                                    "tomli'") from None
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise _error(ctx, path, exc.strerror or str(exc)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _error(ctx, path, f"not valid TOML ({exc})") from None


def defaults(ctx: Any, path: Path, table: dict[str, Any]) -> dict[str, Any]:
    """``table`` (TOML keys -> values) as {parameter name: value}, each checked against
    the command's parameter of that name."""
    params = option_keys(ctx.command)
    out: dict[str, Any] = {}
    for key, value in table.items():
        param = params.get(key.replace("-", "_"))
        if param is None:
            raise _error(ctx, path, f"unknown key {key!r}: not an option of "
                                    f"{ctx.command_path}")
        if param.name in out:
            raise _error(ctx, path, f"key {key!r}: {param.name!r} is set twice")
        out[param.name] = _checked(ctx, path, key, param, value)
    return out


def option_keys(command: Any) -> dict[str, Any]:
    """{key: Click parameter} for a command: each parameter's name and its long option
    names, dashes as underscores (``lambda_value`` and ``lambda`` for ``--lambda``)."""
    out: dict[str, Any] = {}
    for param in command.params:
        if param.name in (None, "help", "config_file") or not param.expose_value:
            continue
        out[param.name] = param
        for opt in param.opts:
            if opt.startswith("--"):
                out[opt[2:].replace("-", "_")] = param
    return out


def _checked(ctx: Any, path: Path, key: str, param: Any, value: Any) -> Any:
    kind, choices, many = value_type(param)
    if many and not isinstance(value, list):
        value = [value]
    for item in value if many else [value]:
        fits = isinstance(item, kind) and not (kind is not bool and isinstance(item, bool))
        fits = fits or (kind is float and isinstance(item, int) and not isinstance(item, bool))
        if not fits or (choices and item not in choices):
            want = f"one of {', '.join(choices)}" if choices else _KINDS[kind]
            raise _error(ctx, path, f"key {key!r} must be {want}"
                                    f"{' (or a list of them)' if many else ''}; got {item!r}")
    return value


def value_type(param: Any) -> tuple[type, tuple[str, ...], bool]:
    """(bool, int, float or str; the allowed strings, if a choice; whether repeatable)
    for a Click parameter, from Typer's type descriptor (or an older Typer's Click type)."""
    many = bool(getattr(param, "multiple", False)) or getattr(param, "nargs", 1) == -1
    if getattr(param, "is_flag", False):
        return bool, (), many
    desc = getattr(param, "type_descriptor", None)
    if desc is None:  # older Typer: Click parameter types
        name = getattr(param.type, "name", "")
        kind = {"boolean": bool, "integer": int, "float": float}.get(name, str)
        return kind, tuple(getattr(param.type, "choices", ()) or ()), many
    annotation = _bare(desc.annotation)
    choices = tuple(str(c.value if isinstance(c, Enum) else c) for c in desc.choices or ())
    return (annotation if annotation in (bool, int, float) else str), choices, many


def _bare(annotation: Any) -> Any:
    """``Optional[list[int]]`` -> ``int``."""
    while get_origin(annotation) in (Union, UnionType, list, tuple):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if not args:
            break
        annotation = args[0]
    return annotation


def _error(ctx: Any, path: Path, message: str) -> Exception:
    return click_exceptions.UsageError(f"--config {path}: {message}", ctx=ctx)
