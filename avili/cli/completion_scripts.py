"""Static shell completion scripts for bash, zsh and fish, generated from the avili commands.

Typer's own completion (``avili --install-completion``) starts Python on every Tab press.
These scripts carry the command tree instead: subcommands, every option, the values of
choice options, and file or folder completion for paths, so a Tab press runs no Python.
One walk of the Click command tree feeds a renderer per shell; ``completions/`` holds the
output, and a test fails when it falls behind the commands.

Regenerate with ``make completions`` (``python -m avili.cli.completion_scripts --write
completions``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Iterator, get_args

SCRIPTS = {"bash": "avili.bash", "zsh": "_avili", "fish": "avili.fish"}
REGENERATE = "make completions  (python -m avili.cli.completion_scripts --write completions)"
_HEADER = ("# {shell} completion for avili, generated from its commands by `make completions`;\n"
           "# do not edit. Static: a Tab press runs no Python.\n")


@dataclass(frozen=True)
class Option:
    """One option. ``names``: its spellings (``--quiet``, ``-q``; ``--x`` and ``--no-x``),
    which exclude each other. ``value``: "" for a flag, else how its value completes:
    "file", "dir", "choice" (from ``choices``) or "text" (nothing to offer)."""

    names: tuple[str, ...]
    help: str
    value: str
    choices: tuple[str, ...] = ()
    repeatable: bool = False


@dataclass(frozen=True)
class Command:
    """A command or group; ``path`` is its words, e.g. ("avili", "retrieve", "index").
    ``args``: how its positional arguments complete ("file"), "" when it takes none."""

    path: tuple[str, ...]
    help: str
    options: tuple[Option, ...]
    args: str
    subcommands: tuple["Command", ...]

    @property
    def words(self) -> str:
        return " ".join(self.path)

    def walk(self) -> Iterator["Command"]:
        yield self
        for sub in self.subcommands:
            yield from sub.walk()


def command_tree() -> Command:
    """The avili command tree, as Click (Typer) builds it for the real CLI."""
    import typer

    from avili.cli import app

    return _command(typer.main.get_command(app), ("avili",))


def _command(cmd: Any, path: tuple[str, ...]) -> Command:
    import typer

    ctx = typer.Context(cmd, info_name=path[-1])
    params = [p for p in cmd.get_params(ctx) if not getattr(p, "hidden", False)]
    options = tuple(_option(p) for p in params if p.param_type_name == "option")
    args = [p for p in params if p.param_type_name == "argument"]
    subs = getattr(cmd, "commands", {})
    return Command(path, _plain(cmd.help or "").split("\n\n")[0], options,
                   "file" if any(_value_kind(a)[0] in ("file", "dir") for a in args) else "",
                   tuple(_command(c, path + (name,)) for name, c in subs.items()
                         if not c.hidden))


def _option(param: Any) -> Option:
    value, choices = _value_kind(param)
    return Option(tuple(param.opts) + tuple(param.secondary_opts), _plain(param.help or ""),
                  value, choices, bool(param.multiple))


def _value_kind(param: Any) -> tuple[str, tuple[str, ...]]:
    """How a parameter's value completes: ("", ()) for a flag, else ("file" | "dir" |
    "text", ()) or ("choice", values)."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return "", ()
    desc = getattr(param, "type_descriptor", None)
    if desc is None:  # older Typer: Click parameter types
        import click

        choices = param.type.choices if isinstance(param.type, click.Choice) else None
        path = isinstance(param.type, (click.Path, click.File))
        file_okay = getattr(param.type, "file_okay", True)
    else:
        choices = desc.choices
        annotation = (get_args(desc.annotation) or [desc.annotation])[0] if desc.is_list \
            else desc.annotation
        path = desc.is_file or (isinstance(annotation, type) and issubclass(annotation, Path))
        file_okay = desc.parameter_info.file_okay
    if choices:
        return "choice", tuple(str(c.value if isinstance(c, Enum) else c) for c in choices)
    return ("dir" if not file_okay else "file") if path else "text", ()


def _plain(help_text: str) -> str:
    """Help as the terminal shows it: Rich markup rendered (``avili\\[media]`` ->
    ``avili[media]``), paragraphs kept, each on one line."""
    from rich.text import Text

    return "\n\n".join(" ".join(Text.from_markup(p).plain.split())
                       for p in help_text.split("\n\n"))


def render(shell: str, tree: Command | None = None) -> str:
    """The completion script for ``shell`` ("bash", "zsh" or "fish")."""
    renderers: dict[str, Callable[[Command], str]] = {
        "bash": _render_bash, "zsh": _render_zsh, "fish": _render_fish}
    if shell not in renderers:
        raise ValueError(f"no completion script for {shell!r}; choose from "
                         f"{', '.join(renderers)}")
    return renderers[shell](tree or command_tree())


def _value_options(tree: Command) -> list[str]:
    """"<command words> <option>" for every option that takes a value: fish's
    ``__avili_path`` skips the word after one when it works out the subcommand typed."""
    return [f"{c.words} {n}" for c in tree.walk() for o in c.options if o.value
            for n in o.names]


def _case(patterns: list[str], body: str) -> str:
    """A bash ``case`` branch matching any of ``patterns`` literally."""
    return "        " + "|\\\n        ".join(f"'{p}'" for p in patterns) + f") {body} ;;"


def _render_bash(tree: Command) -> str:
    commands = [_case([c.words], f'REPLY="{" ".join(s.path[-1] for s in c.subcommands)}"')
                for c in tree.walk() if c.subcommands]
    options = [_case([c.words], f'REPLY="{" ".join(n for o in c.options for n in o.names)}"')
               for c in tree.walk()]
    kinds: dict[str, list[str]] = {}
    for c in tree.walk():
        for o in c.options:
            if o.value:
                kind = f"choice {' '.join(o.choices)}" if o.choices else o.value
                kinds.setdefault(kind, []).extend(f"{c.words} {n}" for n in o.names)
    values = [_case(patterns, f"REPLY='{kind}'") for kind, patterns in kinds.items()]
    args = [_case([c.words for c in tree.walk() if c.args], "REPLY=file")]
    table = "\n".join([
        "_avili_commands() {  # $1: a command path; REPLY: its subcommands",
        '    case $1 in', *commands, "        *) REPLY= ;;", "    esac", "}",
        "_avili_options() {  # $1: a command path; REPLY: its options",
        '    case $1 in', *options, "        *) REPLY= ;;", "    esac", "}",
        "_avili_value() {  # $1: a command path and an option; REPLY: how its value completes",
        '    case $1 in', *values, "        *) REPLY= ;;", "    esac", "}",
        "_avili_args() {  # $1: a command path; REPLY: how its arguments complete",
        '    case $1 in', *args, "        *) REPLY= ;;", "    esac", "}"])
    return _HEADER.format(shell="bash") + "\n" + table + "\n" + _BASH_MAIN


_BASH_MAIN = r"""
_avili_offer() {  # complete $cur as $1 says: file, dir, "choice A B ..." or a word list
    case $1 in
        file) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
        dir) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
        choice\ *) mapfile -t COMPREPLY < <(compgen -W "${1#choice }" -- "$cur") ;;
        text) ;;
        *) mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur") ;;
    esac
}

_avili() {
    local cur=${COMP_WORDS[COMP_CWORD]} path=avili i=1 word REPLY
    COMPREPLY=()
    while ((i < COMP_CWORD)); do  # find the (sub)command being typed
        word=${COMP_WORDS[i]}
        _avili_value "$path $word"
        if [[ -n $REPLY ]]; then
            ((i += 2))  # an option and its value
            continue
        fi
        _avili_commands "$path"
        [[ " $REPLY " == *" $word "* ]] && path="$path $word"
        ((i++))
    done
    if ((i > COMP_CWORD)); then  # the word is an option's value
        _avili_value "$path ${COMP_WORDS[COMP_CWORD-1]}"
        _avili_offer "$REPLY"
    elif [[ $cur == -* ]]; then
        _avili_options "$path"
        _avili_offer "$REPLY"
    else
        _avili_commands "$path"
        [[ -z $REPLY ]] && _avili_args "$path"
        [[ -z $REPLY ]] && _avili_options "$path"
        _avili_offer "$REPLY"
    fi
}

complete -F _avili avili
"""


def _zsh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _zsh_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _zsh_action(o: Option) -> str:
    name = o.names[0].lstrip("-")
    action = {"file": "_files", "dir": "_files -/", "text": " "}.get(o.value)
    return f":{name}:{action or '(' + ' '.join(o.choices) + ')'}"


def _zsh_specs(c: Command) -> list[str]:
    specs = []
    for o in c.options:
        exclude = "" if o.repeatable or len(o.names) == 1 else f"({' '.join(o.names)})"
        described = f"[{_zsh_help(o.help)}]"
        value = f"={described}{_zsh_action(o)}" if o.value else described
        specs += [_zsh_quote(f"{exclude}{'*' if o.repeatable else ''}{n}{value}")
                  for n in o.names]
    if c.args:
        specs.append(_zsh_quote("*:file:_files"))
    return specs


def _zsh_name(c: Command) -> str:
    return "_" + "_".join(c.path).replace("-", "_")


def _zsh_function(c: Command) -> str:
    """One zsh function per command: its options, and for a group a dispatch to its
    subcommands' functions."""
    name = _zsh_name(c)
    specs = _zsh_specs(c) + (["'1: :->command'", "'*:: :->argument'"] if c.subcommands else [])
    call = f"_arguments -s{' -C' if c.subcommands else ''} \\\n        " + \
        " \\\n        ".join(specs)
    if not c.subcommands:
        return f"{name}() {{\n    {call}\n}}\n"
    described = "\n".join("                " + _zsh_quote(f"{s.path[-1]}:{s.help}")
                          for s in c.subcommands)
    dispatch = "\n".join(f"                {s.path[-1]}) {_zsh_name(s)} ;;"
                         for s in c.subcommands)
    return f"""{name}() {{
    local curcontext=$curcontext state line
    typeset -A opt_args
    {call} && return
    case $state in
        command)
            local -a commands=(
{described}
            )
            _describe -t commands {_zsh_quote(c.words + " command")} commands ;;
        argument)
            curcontext=${{curcontext%:*:*}}:{"-".join(c.path)}-$words[1]:
            case $words[1] in
{dispatch}
            esac ;;
    esac
}}
"""


def _render_zsh(tree: Command) -> str:
    functions = "\n".join(_zsh_function(c) for c in tree.walk())
    return (f"#compdef avili\n{_HEADER.format(shell='zsh')}\n{functions}\n"
            'if [[ $funcstack[1] == _avili ]]; then  # autoloaded from $fpath\n'
            '    _avili "$@"\nelse  # sourced\n    compdef _avili avili\nfi\n')


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish_at(c: Command) -> str:
    """The fish condition: the command being typed is ``c``."""
    return _fish_quote(f'__avili_at "{c.words}"')


def _fish_option(c: Command, o: Option) -> str:
    names = " ".join(f"-l {n[2:]}" if n.startswith("--") else f"-s {n[1:]}" for n in o.names)
    value = {"": "", "file": " -r -F", "text": " -x",
             "dir": " -x -a '(__fish_complete_directories (commandline -ct))'"}.get(
        o.value, f" -x -a {_fish_quote(' '.join(o.choices))}")
    return (f"complete -c avili -n {_fish_at(c)} {names}"
            f"{value} -d {_fish_quote(o.help)}")


def _render_fish(tree: Command) -> str:
    skips = " \\\n                ".join(_fish_quote(p) for p in _value_options(tree))
    descend = " \\\n                ".join(_fish_quote(c.words) for c in tree.walk()
                                          if c is not tree)
    lines = [_HEADER.format(shell="fish"), _FISH_PATH.format(skips=skips, descend=descend),
             "complete -c avili -f  # files only where a path is expected"]
    for c in tree.walk():
        at = _fish_at(c)
        lines += [f"complete -c avili -n {at} -a {s.path[-1]} -d {_fish_quote(s.help)}"
                  for s in c.subcommands]
        lines += [_fish_option(c, o) for o in c.options]
        lines += [f"complete -c avili -n {at} -F"] if c.args else []
    return "\n".join(lines) + "\n"


_FISH_PATH = """function __avili_path --description 'The avili command being typed'
    set -l path avili
    set -l skip 0
    for word in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch "$path $word"
            case {skips}
                set skip 1  # an option that takes a value: the next word is that value
            case {descend}
                set path "$path $word"
        end
    end
    echo $path
end

function __avili_at --description 'Whether the avili command being typed is $argv[1]'
    test (__avili_path) = "$argv[1]"
end
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m avili.cli.completion_scripts",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("shell", nargs="?", choices=sorted(SCRIPTS),
                        help="print this shell's script on stdout")
    parser.add_argument("--write", type=Path, metavar="DIR",
                        help=f"write all three scripts into DIR ({', '.join(SCRIPTS.values())})")
    args = parser.parse_args(argv)
    if args.shell is None and args.write is None:
        parser.error("give a shell, or --write DIR")
    tree = command_tree()
    if args.shell:
        sys.stdout.write(render(args.shell, tree))
    if args.write:
        args.write.mkdir(parents=True, exist_ok=True)
        for shell, name in SCRIPTS.items():
            (args.write / name).write_text(render(shell, tree))
            print(f"wrote {args.write / name}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
