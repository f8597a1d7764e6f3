"""Does the teacher find the events nobody annotated? Each --negatives and --mode, side by
side in one run, scored against the synthetic event truth on the test split.

- off-label AP (audio, visual): average precision of the soft labels over every
  (clip, class) entry other than the clip's annotated class, truth = the event is present
  in that modality;
- pair false negatives: over test pairs (n, m) with different labels, the score
  s_visual[m, y_n] for "visual m holds n's event" (A->V) and s_audio[n, y_m] (V->A),
  against the truth; AUC and AP, with the median score of the true ones;
- ECE: expected calibration error (10 bins) of every soft label against the event truth.

Run: python bench/teacher_negatives.py [--seeds 0 1 2] [--regime default|audioset]
"""

from __future__ import annotations

import argparse
import platform

import numpy as np
import torch
from sklearn.metrics import average_precision_score, roc_auc_score

import avili

VARIANTS = {
    "assume, aligned (former default)": dict(negatives="assume", mode="aligned", epochs=30),
    "assume, independent": dict(negatives="assume", mode="independent"),
    "weak, independent": dict(negatives="weak", mode="independent"),
    "epr, aligned": dict(negatives="epr", mode="aligned"),
    "epr, independent (default)": dict(),
}


def scores(ds, soft) -> dict[str, float]:
    rows = ds.indices("test")
    y = ds.label[rows]
    out, qs, ts = {}, [], []
    for m in ("audio", "visual"):
        p, e = getattr(soft, m)[rows], getattr(ds, f"{m}_events")[rows]
        off = np.ones(e.shape, bool)
        off[np.arange(rows.size), y] = False
        out[f"off-label AP {m}"] = average_precision_score(e[off], p[off])
        bins = np.minimum((p.ravel() * 10).astype(int), 9)
        out[f"ECE {m}"] = sum(abs(p.ravel()[bins == b].mean() - e.ravel()[bins == b].mean())
                              * (bins == b).mean() for b in range(10) if (bins == b).any())
        different = y[:, None] != y[None, :]
        qs.append(p[:, y].T[different])  # [n, m] = p[m, y_n]
        ts.append(e[:, y].T[different])
    q, t = np.concatenate(qs), np.concatenate(ts)
    out["pair FN AUC"], out["pair FN AP"] = roc_auc_score(t, q), average_precision_score(t, q)
    out["median score of true FN"] = float(np.median(q[t > 0]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--regime", default="default", choices=["default", "audioset"])
    args = parser.parse_args()
    syn = {"cooccurrence": "audioset"} if args.regime == "audioset" else {}
    results: dict[str, list[dict]] = {name: [] for name in VARIANTS}
    for seed in args.seeds:
        ds, _ = avili.synthetic(avili.SyntheticConfig(seed=seed, **syn))
        for name, kw in VARIANTS.items():
            soft = avili.train_teacher(ds, avili.TeachConfig(seed=seed, **kw)).soft
            results[name].append(scores(ds, soft))
    print(f"machine: {platform.machine()}, torch {torch.__version__}; {args.regime} regime, "
          f"seeds {args.seeds}; test split; mean ± std over seeds")
    keys = list(next(iter(results.values()))[0])
    print("| teacher | " + " | ".join(keys) + " |")
    print("|---|" + "---|" * len(keys))
    for name, rows in results.items():
        cells = [f"{np.mean([r[k] for r in rows]):.3f} ± {np.std([r[k] for r in rows]):.3f}"
                 for k in keys]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
