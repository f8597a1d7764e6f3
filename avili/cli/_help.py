"""How avili's --help looks: Click's plain help (Rich's option table cuts long option
names and choices at 80 columns), with option groups and words kept whole."""

from __future__ import annotations

import re
from typing import Any

from typer.core import TyperCommand

from avili.cli._click import Context, _textwrap


class _WholeWords(_textwrap.TextWrapper):
    """Click's help wrapper, except that it never breaks a word at a hyphen: an option
    name (--min-frequency) or a path stays whole, copyable from the help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "break_on_hyphens": False})


_textwrap.TextWrapper = _WholeWords  # what Click's wrap_text builds for --help


class PanelCommand(TyperCommand):
    """A command whose plain --help lists its options under their ``rich_help_panel``
    headings (extract's sources), arguments first, and names a list option's element type
    (``--model <path>``, not Typer's ``<list[Path]>``)."""

    def format_options(self, ctx: Context, formatter: Any) -> None:
        sections: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                name = "Arguments" if param.param_type_name == "argument" else (
                    getattr(param, "rich_help_panel", None) or "Options")
                names = re.sub(r"<list\[(\w+)\]>", lambda m: f"<{m[1].lower()}>", record[0])
                sections.setdefault(name, []).append((names, record[1]))
        for name, records in sections.items():
            if records:
                with formatter.section(name):
                    formatter.write_dl(records)
