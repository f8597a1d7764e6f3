"""Every command's --help: a description, an example that parses, paragraphs that wrap to
the terminal, every option name whole at 80 columns, and square brackets shown as typed."""

from __future__ import annotations

import re
import shlex

import pytest
import typer
from typer.testing import CliRunner

from avili import __version__
from avili.cli import app
from avili.cli._common import guarded
from avili.errors import AviliError

runner = CliRunner()
ROOT = typer.main.get_command(app)
WIDTH = 80  # Click wraps help to at most 80 columns


def command_paths(cmd, path: list[str]) -> list[list[str]]:
    """Every command and group below ``cmd``, as the words after ``avili``."""
    return [path] + [p for name, sub in getattr(cmd, "commands", {}).items()
                     for p in command_paths(sub, path + [name])]


COMMANDS = command_paths(ROOT, [])


def test_every_command_is_checked():
    assert {(), ("extract",), ("teach",), ("infer-graph",), ("distill",), ("eval",), ("demo",),
            ("info",), ("retrieve",), ("retrieve", "index"), ("retrieve", "search")} <= set(
        map(tuple, COMMANDS))


def click_command(path: list[str]) -> typer.core.TyperCommand:
    cmd = ROOT
    for word in path:
        cmd = cmd.commands[word]
    return cmd


def rendered_help(path: list[str], width: int = WIDTH) -> str:
    result = runner.invoke(app, path + ["--help"], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    return result.stdout


def help_paragraphs(rendered: str) -> list[list[str]]:
    """The prose between the usage line and the first section ("Options:"), as paragraphs
    of lines."""
    prose = re.split(r"\n\S[^\n]*:\n", rendered.split("Usage:", 1)[1])[0].splitlines()[1:]
    paragraphs, current = [], []
    for line in prose + [""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs, current = paragraphs + [current], []
    return paragraphs


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(["avili"] + p))
def test_help_has_description_and_an_example_that_parses(path):
    paragraphs = help_paragraphs(rendered_help(path))
    description, example = paragraphs[:-1], " ".join(paragraphs[-1])
    assert len(" ".join(map(" ".join, description)).split()) >= 15, description
    assert example.startswith(f"Example: {' '.join(['avili'] + path)} "), example
    words = shlex.split(example.removeprefix("Example: "))[1 + len(path):]
    with click_command(path).make_context(" ".join(["avili"] + path), words) as ctx:
        assert ctx.params  # the example's options exist, and required ones are given


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(["avili"] + p))
def test_help_paragraphs_wrap_to_the_terminal(path):
    """No line ends early: a source line break inside a paragraph is not shown."""
    for paragraph in help_paragraphs(rendered_help(path)):
        for line, following in zip(paragraph, paragraph[1:]):
            assert len(line) + 1 + len(following.split()[0]) > WIDTH - 4, paragraph


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(["avili"] + p))
def test_help_shows_every_option_whole_at_80_columns(path):
    """Rich's option table used to cut names (--save-embeddin…) and choices at 80
    columns; Click's plain help keeps every option name whole and lines within 80."""
    text = rendered_help(path, width=80)
    assert max(map(len, text.splitlines())) <= 80, text
    assert "list[" not in text, text  # an element type: --model <path>
    for param in click_command(path).params:
        if param.param_type_name == "option" and not param.hidden:
            for name in param.opts + param.secondary_opts:
                assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text), (name, text)


def test_extract_help_shows_the_media_extra():
    text = " ".join(rendered_help(["extract"]).split())
    assert "pip install 'avili[media]'" in text
    assert "Folder of raw videos (needs avili[media])." in text
    assert "weight[i, j] > 0" in rendered_help(["infer-graph"])


def _help_texts(cmd, path: str):
    yield path, cmd.help or ""
    for param in cmd.params:
        yield f"{path} {param.name}", getattr(param, "help", None) or ""
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _help_texts(sub, f"{path} {name}")


def test_help_texts_are_plain_text():
    """Help is not Rich markup: no escaped brackets, which would show as typed."""
    for where, text in _help_texts(ROOT, "avili"):
        assert "\\[" not in text and "[/" not in text, (where, text)


def test_error_lines_keep_square_brackets(capsys):
    def needs_media() -> None:
        raise AviliError("raw-video extraction needs PyAV: pip install 'avili[media]'")

    with pytest.raises(typer.Exit):
        guarded(needs_media)()
    assert "pip install 'avili[media]'" in capsys.readouterr().err


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"avili {__version__}\n"
