"""What every avili command shares: the Typer app, option types, the error wrapper that
turns AviliError into one stderr line and exit code 2, progress and summary output."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer
from typer.core import TyperGroup

from avili import __version__
from avili.cli._help import PanelCommand

from avili.cli._click import Context, click_exceptions, get_current_context
from avili.config import (AUDIO_BACKBONES, COOCCURRENCE, DEVICES, GRAPH_ALGORITHMS,
                          GRAPH_BACKENDS, INPUT_KINDS, LIR_FORMS, MAP_VARIANTS, METRIC_LOSSES,
                          MINING, RELEVANCE, SPLITS, TEACHER_MODES, TEACHER_NEGATIVES,
                          VISUAL_BACKBONES)


def paragraphs(doc: str) -> str:
    """A docstring as help text: the lines of each paragraph joined into one, so Click
    wraps it to the terminal instead of breaking it where the source did; blank lines still
    separate paragraphs (and the example). Help is plain text: a "[" is a "["."""
    return "\n\n".join(" ".join(p.split()) for p in inspect.cleandoc(doc).split("\n\n"))


APP_HELP = """Audio-visual embeddings robust to sparse labels: teach -> infer-graph -> distill ->
eval/retrieve.

extract builds an HDF5 dataset (synthetic, published features, raw videos or shards); teach
trains the teacher and writes soft labels; infer-graph finds the latent interaction graph
between classes; distill trains the student with a metric loss plus LIR; eval scores it and
retrieve searches with it; info tells what any avili file holds. demo chains them on the
synthetic benchmark. Each command's --help has an example.

Example: avili demo --workdir avili-demo
"""


@contextlib.contextmanager
def _usage_errors_on_one_line() -> Any:
    """Click's usage errors (an unknown option, a value of the wrong type, a missing
    option) as one stderr line and exit code 2, like every other avili error, instead of
    Typer's usage box."""
    try:
        yield
    except click_exceptions.ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # prints the help: not an error
            raise
        where = exc.ctx.command_path if getattr(exc, "ctx", None) else "avili"
        text = exc.format_message().replace("Value error, ", "")
        _fail(f"{where}: {text} (see {where} --help)", exc, code=exc.exit_code)


class OneLineErrors(TyperGroup):
    """The app's command group: usage errors end in one line (see above)."""

    def make_context(self, *args: Any, **kwargs: Any) -> Context:
        with _usage_errors_on_one_line():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Context) -> Any:
        with _usage_errors_on_one_line():
            return super().invoke(ctx)


# Help is Click's plain text, not Rich panels: Rich's option table cuts long option names
# and choices at 80 columns, Click's keeps them whole and wraps only the help column.
app = typer.Typer(name="avili", cls=OneLineErrors, no_args_is_help=True,
                  pretty_exceptions_enable=False,
                  add_completion=True, rich_markup_mode=None, help=paragraphs(APP_HELP))
_state: dict[str, bool] = {"debug": False}


class Direction(str, Enum):
    a2v = "a2v"
    v2a = "v2a"


def choices(name: str, values: tuple[str, ...]) -> Any:
    """A str Enum of fixed option values, so --help and completion list them."""
    return Enum(name, {v.replace("-", "_"): v for v in values}, type=str)


LossName = choices("LossName", METRIC_LOSSES)
Split = choices("Split", SPLITS)
GraphAlgorithm = choices("GraphAlgorithm", GRAPH_ALGORITHMS)
GraphBackend = choices("GraphBackend", GRAPH_BACKENDS)
AudioBackbone = choices("AudioBackbone", AUDIO_BACKBONES)
VisualBackbone = choices("VisualBackbone", VISUAL_BACKBONES)
Cooccurrence = choices("Cooccurrence", COOCCURRENCE)
LirForm = choices("LirForm", LIR_FORMS)
Negatives = choices("Negatives", TEACHER_NEGATIVES)
Device = choices("Device", DEVICES)
Relevance = choices("Relevance", RELEVANCE)
TeacherMode = choices("TeacherMode", TEACHER_MODES)
Mining = choices("Mining", MINING)
MapVariant = choices("MapVariant", MAP_VARIANTS)
InputKind = choices("InputKind", INPUT_KINDS)


def weight_or_auto(text: str, option: str, grid: tuple[float, ...]
                   ) -> tuple[float | None, tuple[float, ...]]:
    """``auto`` -> (None, grid); a number -> (that number, ()). Anything else is an
    error naming ``option``."""
    from avili.errors import AviliError

    if text.strip().lower() == "auto":
        return None, grid
    try:
        return float(text), ()
    except ValueError:
        raise AviliError(f"{option} takes a number or 'auto'; got {text!r}") from None


def value(option: Any) -> Any:
    """An Enum option's string (None stays None)."""
    return None if option is None else option.value


Seed = Annotated[int, typer.Option(help="Seed for random, numpy and torch.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
Json = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
Overwrite = Annotated[bool, typer.Option(help="Replace existing outputs.")]
MaxMemory = Annotated[float, typer.Option(help="Feature memory budget in MB; larger datasets "
                                       "stay on disk and are read in chunks (0 = a quarter "
                                       "of RAM).")]
Resume = Annotated[bool, typer.Option("--resume", help="Continue an interrupted run from "
                                      "the training state saved after each epoch "
                                      "(<out>.state.pt); the config must match.")]
TensorBoard = Annotated[Optional[Path], typer.Option(
    help="Also write the per-epoch scalars (loss terms, val score, lr, seconds; as in "
         "<out>.log.jsonl) as TensorBoard logs in this folder, when training ends (needs "
         "the tensorboard extra).", file_okay=False, show_default=False)]
DeviceOpt = Annotated[Device, typer.Option(help="Where to train: CUDA when present by default.")]
EmbedDevice = Annotated[Device, typer.Option("--device", help="Where to embed clips: CUDA "
                                             "when present by default.")]
Hidden = Annotated[int, typer.Option(help="Hidden width of the network.")]
WeightDecay = Annotated[float, typer.Option(help="AdamW weight decay.")]
Dropout = Annotated[float, typer.Option(help="Dropout rate in the network.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"avili {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option(help="Show tracebacks on errors.")] = False,
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version,
                                                    is_eager=True, help="Print the version.")] = None,
) -> None:
    """The options before the command (its help is APP_HELP); set up clean interrupts."""
    _state["debug"] = debug
    import signal
    import sys

    signal.signal(signal.SIGTERM, _terminated)  # clean up like Ctrl-C: no temporaries left
    default_hook = sys.unraisablehook
    if getattr(default_hook, "avili", False):
        return

    def quiet_interrupts(unraisable: Any) -> None:  # an interrupt that landed in a callback:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):  # the stop flag acts
            default_hook(unraisable)

    quiet_interrupts.avili = True  # type: ignore[attr-defined]
    sys.unraisablehook = quiet_interrupts


def _terminated(signum: int, frame: Any) -> None:
    """SIGTERM (kill, a scheduler's preemption, torchrun tearing down) as a KeyboardInterrupt,
    so unfinished outputs' temporaries are removed on the way out. The stop is also noted,
    because an exception raised in a signal handler can land where Python swallows it."""
    from avili.artifacts import request_stop

    request_stop()
    raise KeyboardInterrupt


def guarded(fn: Callable) -> Callable:
    """``fn`` with its user-facing errors turned into one stderr line and exit code 2."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        from avili.errors import AviliError

        kwargs.pop("config_file", None)  # read already, by its callback
        try:
            result = fn(*args, **kwargs)
        except AviliError as exc:
            from avili.info import explain

            _fail(str(explain(exc)), exc)
        except KeyboardInterrupt as exc:
            _fail("interrupted; finished artifacts are intact, unfinished ones were not "
                  "written; training commands continue with --resume", exc, code=130)
        except OSError as exc:
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            _fail(f"{where}{exc.strerror or exc}", exc)
        except MemoryError as exc:
            _fail("out of memory: this run needs more than the machine could allocate; "
                  "no output was written (smaller --max-memory, batches or inputs help)", exc)
        _outputs_written()
        return result

    return with_config_file(fn, run)


def with_config_file(fn: Callable, run: Callable) -> Callable:
    """``run`` (which wraps ``fn``) with one more option for Typer to see: ``--config
    FILE``, whose values become the command's defaults (:mod:`avili.cli.config_file`)."""
    from avili.cli.config_file import CONFIG_HELP, read_config

    annotation = Annotated[Optional[Path], typer.Option(
        "--config", help=CONFIG_HELP, is_eager=True, expose_value=False, callback=read_config,
        dir_okay=False, show_default=False)]
    signature = inspect.signature(fn, eval_str=True)
    extra = inspect.Parameter("config_file", inspect.Parameter.KEYWORD_ONLY, default=None,
                              annotation=annotation)
    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), extra])
    run.__annotations__ = {**fn.__annotations__, "config_file": annotation}
    return run


def _outputs_written() -> None:
    """The command's outputs are complete. A SIGTERM from now on says so and exits 143,
    instead of dying silently while the interpreter shuts down; once Python's own teardown
    begins (our atexit hook runs before the libraries' ones), SIGTERM is ignored, so the
    process still ends with the command's exit status."""
    import atexit
    import signal

    signal.signal(signal.SIGTERM, _terminated_when_done)
    if not _state.get("atexit"):
        atexit.register(signal.signal, signal.SIGTERM, signal.SIG_IGN)
        _state["atexit"] = True


def _terminated_when_done(signum: int, frame: Any) -> None:
    import os
    import sys

    from avili.cli._console import stderr

    sys.stdout.flush()
    stderr.print("[bold yellow]terminated[/] after the outputs were written; they are "
                 "complete", highlight=False, soft_wrap=True)
    sys.stderr.flush()
    os._exit(128 + signum)


def command(name: str, parent: Optional[typer.Typer] = None) -> Callable:
    """Register a :func:`guarded` command on ``parent`` (default: the app), with its
    docstring as its help."""

    def wrap(fn: Callable) -> Callable:
        return (parent or app).command(name, cls=PanelCommand,
                                       help=paragraphs(fn.__doc__ or ""))(guarded(fn))

    return wrap


def _fail(message: str, exc: BaseException, code: int = 2) -> None:
    if _state["debug"]:
        raise exc
    from rich.markup import escape

    from avili.cli._console import stderr

    stderr.print(f"[bold red]error:[/] {escape(' '.join(message.split()))}", highlight=False,
                 soft_wrap=True)
    raise typer.Exit(code)


def _progress(quiet: bool) -> Any:
    """Rich progress bars on stderr, unless ``quiet`` or on a torchrun rank other than 0."""
    import os

    from avili.cli._console import RichProgress
    from avili.progress import NullProgress

    other_rank = int(os.environ.get("WORLD_SIZE", "1")) > 1 and os.environ.get("RANK", "0") != "0"
    return NullProgress() if quiet or other_rank else RichProgress()


def given_options() -> dict[str, str]:
    """The current command's parameters typed on the command line or set in its --config
    file: name -> flag."""
    ctx = get_current_context(silent=True)
    if ctx is None:
        return {}
    out = {}
    for param in ctx.command.params:
        source = ctx.get_parameter_source(param.name)
        if source is not None and source.name in ("COMMANDLINE", "DEFAULT_MAP"):
            out[param.name] = (param.opts or [param.name])[0]
    return out


def _outputs(overwrite: bool, *paths: Optional[Path]) -> None:
    from avili.artifacts import check_distinct, check_output

    check_distinct(paths)
    for path in paths:
        if path is not None:
            check_output(path, overwrite)


def _warn(messages: list[str]) -> None:
    """Warnings from a library call, one yellow line each on stderr."""
    from rich.markup import escape

    from avili.cli._console import stderr

    for message in messages:
        stderr.print(f"[bold yellow]warning:[/] {escape(message)}", highlight=False,
                     soft_wrap=True)


def _print_grids(grids: list, markdown: bool) -> None:
    """Tables (:class:`avili.cli.report.Grid`) on stdout, as Rich tables or Markdown."""
    from avili.cli._console import stdout

    for grid in grids:
        if markdown:
            typer.echo(grid.markdown() + "\n")
        else:
            stdout.print(grid.rich())


def _emit(summary: dict, as_json: bool, line: str) -> None:
    """``summary`` as the running command's --json document (:mod:`avili.cli._json`), or
    ``line`` as plain text."""
    from avili.cli._console import stdout

    if as_json:
        from avili.cli._json import document

        ctx = get_current_context(silent=True)
        command = " ".join(ctx.command_path.split()[1:]) if ctx is not None else ""
        typer.echo(json.dumps(document(command, summary), indent=2, sort_keys=True,
                              allow_nan=False))
    else:
        stdout.print(line, markup=False, highlight=False, soft_wrap=True)
