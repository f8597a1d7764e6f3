"""The static completion scripts in completions/: current with the commands, and answering
Tab presses in bash and fish without starting Python; the CLI itself stays light to import."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from avili.cli.completion_scripts import REGENERATE, SCRIPTS, command_tree, render

COMPLETIONS = Path(__file__).resolve().parents[1] / "completions"
HEAVY = {"torch", "sklearn", "causallearn", "h5py", "matplotlib", "faiss", "transformers"}
BASH_HARNESS = """
source {script}
comp() {{
    read -ra COMP_WORDS <<< "$1"
    [[ $1 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))
    _avili
    printf '%s\\n' "${{COMPREPLY[*]}}"
}}
"""


def test_shipped_scripts_match_the_commands():
    tree = command_tree()
    for shell, name in SCRIPTS.items():
        shipped = (COMPLETIONS / name).read_text()
        assert shipped == render(shell, tree), (
            f"completions/{name} is stale against the avili commands; regenerate with: "
            f"{REGENERATE}")


def bash_complete(lines: list[str], cwd: Path) -> list[str]:
    """What the shipped bash script offers for each command line (ending where Tab is
    pressed), run with an empty PATH: a Tab press may start no program."""
    calls = "\n".join(f"comp {json.dumps(line)}" for line in lines)
    script = BASH_HARNESS.format(script=COMPLETIONS / "avili.bash") + calls
    out = subprocess.run([shutil.which("bash"), "--norc", "-c", script], cwd=cwd,
                         env={"PATH": ""}, capture_output=True, text=True, check=True)
    assert not out.stderr, out.stderr
    return out.stdout.splitlines()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
def test_bash_completes_commands_options_values_and_paths(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "soft.npz").touch()
    got = bash_complete(["avili te", "avili distill --lo", "avili distill --loss in",
                         "avili --debug retrieve ", "avili retrieve --split index search --dir",
                         "avili teach --device ", "avili eval --plot ", "avili infer-graph s",
                         "avili distill --epochs "], tmp_path)
    assert got == ["teach", "--loss", "infonce", "index search", "--direction",
                   "auto cpu cuda", "runs", "soft.npz", ""]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish not installed")
def test_fish_completes_commands_options_and_values():
    def complete(line: str) -> list[str]:
        out = subprocess.run([shutil.which("fish"), "--no-config", "-c",
                              f"source {COMPLETIONS / 'avili.fish'}; complete -C '{line}'"],
                             env={"PATH": ""}, capture_output=True, text=True, check=True)
        return [row.split("\t")[0] for row in out.stdout.splitlines()]

    assert complete("avili te") == ["teach"]
    assert complete("avili distill --lo") == ["--loss"]
    assert complete("avili retrieve ") == ["index", "search"]
    assert complete("avili retrieve search --direction ") == ["a2v", "v2a"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh not installed")
def test_zsh_script_parses():
    subprocess.run([shutil.which("zsh"), "-n", str(COMPLETIONS / "_avili")], check=True)


STARTUP = """
import os, sys
from avili.cli import app
if sys.argv[1:] or "COMP_WORDS" in os.environ:
    try:
        app(prog_name="avili")
    except SystemExit:
        pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})), file=sys.stderr)
"""


@pytest.mark.parametrize("argv, env", [
    ([], {}),
    (["--help"], {}),
    ([], {"_AVILI_COMPLETE": "complete_bash", "COMP_WORDS": "avili te", "COMP_CWORD": "1"}),
], ids=["import", "help", "dynamic-completion"])
def test_cli_startup_leaves_heavy_libraries_unloaded(argv, env):
    """What a Tab press with Typer's completion, or --help, loads (in a fresh process)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("_AVILI")}
    out = subprocess.run([sys.executable, "-c", "import json" + STARTUP, *argv],
                         capture_output=True, text=True, env={**clean, **env}, check=True)
    loaded = set(json.loads(out.stderr.splitlines()[-1]))
    assert not loaded & HEAVY, loaded & HEAVY
    if env:
        assert out.stdout.split() == ["teach"]
