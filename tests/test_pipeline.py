"""The demo pipeline on a tiny config: the default student against the plain one, with
paired CIs under both relevances, and the table that shows it."""

import json

import pytest
from rich.console import Console

from avili.config import DemoConfig, DistillConfig, GraphConfig, TeachConfig
from avili.pipeline import run_demo
from avili.cli.report import demo_table
from tests.helpers import TINY


@pytest.mark.slow
def test_demo_compares_the_default_student_with_the_plain_one(tmp_path):
    cfg = DemoConfig(synthetic=TINY, teach=TeachConfig(epochs=2), graph=GraphConfig(min_lift=0),
                     distill=DistillConfig(epochs=2, lir_weight_grid=(1.0,)))
    results = run_demo(tmp_path, cfg)
    for rel in ("label", "events"):
        lo, hi = results["lir"][rel]["delta_avg_mAP_ci95"]
        delta = results["lir"][rel]["avg_mAP"] - results["baseline"][rel]["avg_mAP"]
        assert lo <= delta + 1e-9 and delta - 1e-9 <= hi
    chosen = results["chosen"]
    assert [c["lir_weight"] for c in chosen["selection"]["candidates"]] == [0.0, 1.0]
    assert json.loads((tmp_path / "results.json").read_text())["chosen"] == json.loads(
        json.dumps(chosen))
    console = Console(width=200, record=True)
    console.print(demo_table(results))
    text = console.export_text()
    assert "plain supcon" in text and "95% CI" in text
    assert ("chosen on val" in text) != ("val chose weight 0" in text)


def demo_options() -> set[str]:
    """The option names ``avili demo`` takes."""
    import typer.main

    from avili.cli import app

    command = typer.main.get_command(app).commands["demo"]
    return {name for param in command.params for name in param.opts}


@pytest.mark.slow
def test_demo_command_at_a_tiny_size(tmp_path):
    """``avili demo --workdir TMP --clips N --epochs E`` through the CLI: its default table
    shows the numbers of the results.json it writes."""
    from tests.helpers import ok

    missing = {"--clips", "--epochs"} - demo_options()
    if missing:
        pytest.skip(f"avili demo has no {', '.join(sorted(missing))} option yet, so it "
                    "cannot run at a tiny size")
    table = ok(["demo", "--workdir", tmp_path, "--clips", "300", "--epochs", "2", "-q"])
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["config"]["synthetic"]["clips"] == 300
    assert results["config"]["teach"]["epochs"] == results["config"]["distill"]["epochs"] == 2
    assert "avili demo: test split" in table and "95% CI" in table
    for rel in ("label", "events"):
        for key in ("baseline", "lir"):
            m = results[key][rel]
            assert f"{m['a2v_mAP']:.4f}" in table and f"{m['avg_mAP']:.4f}" in table
    assert "".join(str(tmp_path).split()) in "".join(table.split())  # artifacts named
