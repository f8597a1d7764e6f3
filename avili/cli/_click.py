"""The Click that Typer uses: Typer 0.2x ships its own copy of Click, older ones use
click. The one place that knows (the import of ``typer._click`` is private to Typer)."""

try:
    from typer._click import Context, _textwrap, exceptions as click_exceptions
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover (depends on the installed Typer)
    from click import Context, _textwrap, exceptions as click_exceptions
    from click.globals import get_current_context

__all__ = ["Context", "_textwrap", "click_exceptions", "get_current_context"]
