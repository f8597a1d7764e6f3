"""The whole pipeline at VGGSound shape: wall time and peak memory of every stage.

Generates the synthetic benchmark at VGGSound's shape (default 200k clips, 309 classes,
128-d audio, 1024-d visual, one planted co-occurrence per class; 2% val, 2% test so
validation and eval stay quick) with ``avili extract --synthetic``, then runs teach ->
infer-graph -> distill -> eval -> retrieve index through the CLI, each under
``/usr/bin/time -v`` with ``--max-memory`` MB for the features. Reports each stage's wall
time and peak resident memory, the graph's recovery of the planted links, and the
student's test mAP.

Run: python bench/scale.py [--clips 200000] [--classes 309] [--epochs 5]
     [--max-memory 2048] [--algorithm grasp] [--lambda 1] [--input-kind auto]
     [--workdir /tmp/avili-scale] [--label-sets FILE] [--json out.json]

``--label-sets FILE`` draws each clip's event set from real label sets instead of planting
rules (``--cooccurrence audioset``; the file fixes the classes, and the truth graph is the
pairs that really co-occur): ``python bench/make_audioset_subset.py --all-classes --out
FILE`` writes AudioSet's 527 classes, for the AudioSet-shape run.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

from memory_benchmark import measured  # bench/: the /usr/bin/time -v runner

import avili


def commands(avili_cmd: list[str], work: Path, args: argparse.Namespace
             ) -> list[tuple[str, list[str]]]:
    """(stage, command) of each stage, writing into ``work``."""
    f = {k: str(work / name) for k, name in (
        ("data", "data.h5"), ("planted", "planted.npz"), ("teacher", "teacher.pt"),
        ("soft", "soft.npz"), ("graph", "graph.npz"), ("student", "student.pt"),
        ("index", "index.avx"))}
    mem = ["--max-memory", str(args.max_memory)]
    common = ["--data", f["data"], "--quiet", "--overwrite", "--device", "cpu"]
    events = (["--cooccurrence", "audioset", "--label-sets", args.label_sets]
              if args.label_sets else ["--num-classes", str(args.classes)])
    return [
        ("extract", [*avili_cmd, "extract", "--synthetic", "--out", f["data"],
                     "--planted-out", f["planted"], "--clips", str(args.clips), *events,
                     "--val-fraction", "0.02", "--test-fraction", "0.02", "--quiet",
                     "--overwrite"]),
        ("teach", [*avili_cmd, "teach", *common, "--out", f["teacher"], "--soft-out",
                   f["soft"], "--epochs", str(args.epochs), *mem]),
        ("infer-graph", [*avili_cmd, "infer-graph", f["soft"], "--out", f["graph"],
                         "--algorithm", args.algorithm, "--lambda", str(args.lambda_value),
                         "--input-kind", args.input_kind, *mem, "--quiet", "--overwrite"]),
        ("distill", [*avili_cmd, "distill", *common, "--soft", f["soft"], "--graph",
                     f["graph"], "--out", f["student"], "--epochs", str(args.epochs),
                     "--lir-weight", str(args.lir_weight), *mem]),
        ("eval", [*avili_cmd, "eval", "--model", f["student"], "--data", f["data"], "--json",
                  "--quiet", *mem]),
        ("retrieve index", [*avili_cmd, "retrieve", "index", "--model", f["student"],
                            "--data", f["data"], "--out", f["index"], "--overwrite", *mem]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=200_000)
    parser.add_argument("--classes", type=int, default=309)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lir-weight", type=float, default=1.0)
    parser.add_argument("--max-memory", type=float, default=2048)
    parser.add_argument("--algorithm", default="grasp", choices=["grasp", "boss"])
    parser.add_argument("--lambda", dest="lambda_value", type=float, default=1.0)
    parser.add_argument("--input-kind", default="auto", choices=["auto", "probs", "probs-linear", "logits"])
    parser.add_argument("--label-sets", default=None)
    parser.add_argument("--workdir", default="/tmp/avili-scale")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for stage, cmd in commands([sys.executable, "-m", "avili"], work, args):
        gb, seconds, out = measured(cmd)
        rows.append({"stage": stage, "seconds": seconds, "peak_gb": gb})
        if stage == "eval":
            rows[-1]["test_avg_mAP"] = json.loads(out)["models"][0]["avg_mAP"]
        print(json.dumps(rows[-1]), flush=True)
    planted = avili.load_graph(work / "planted.npz")
    rec = avili.recovery(avili.load_graph(work / "graph.npz"), planted)
    classes = len(planted.class_names)
    print(f"\nmachine: {platform.machine()}, {platform.python_version()}; {args.clips} clips, "
          f"{classes} classes, 128-d audio, 1024-d visual; {args.epochs} epochs; "
          f"--max-memory {args.max_memory:g}; graph: {args.algorithm}, lambda "
          f"{args.lambda_value:g}, input kind {args.input_kind}; events: "
          f"{args.label_sets or 'planted'}")
    print("| stage | wall (s) | peak RSS (GB) |\n|---|---|---|")
    for r in rows:
        print(f"| {r['stage']} | {r['seconds']:.1f} | {r['peak_gb']:.2f} |")
    print(f"| total | {sum(r['seconds'] for r in rows):.1f} | "
          f"{max(r['peak_gb'] for r in rows):.2f} |")
    print(f"graph recovery of the planted links: recall {rec['recall']:.2f}, precision "
          f"{rec['precision']:.2f} ({rec['inferred_links']:.0f} inferred, "
          f"{rec['planted_links']:.0f} planted)")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "stages": rows,
                                               "recovery": rec}, indent=2))


if __name__ == "__main__":
    main()
