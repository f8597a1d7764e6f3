"""Rich tables for the CLI's stdout."""

from __future__ import annotations

from typing import Any

from rich import table as rich_table
from rich.markup import escape
from rich.text import Text


class Table(rich_table.Table):
    """A Rich table whose cells, headers, title and caption are plain text: class names,
    clip ids and paths come from users, and a ``[/]`` in one must print as it is, not be
    read as Rich markup. Cells that do not fit fold onto more lines, never end in "…"."""

    def __init__(self, *args: Any, title: str | None = None, caption: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, title=None if title is None else escape(title),
                         caption=None if caption is None else escape(caption), **kwargs)

    def add_column(self, header: Any = "", *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("overflow", "fold")  # a narrow terminal wraps names, never cuts them
        super().add_column(Text(header) if isinstance(header, str) else header, *args,
                           **kwargs)

    def add_row(self, *cells: Any, **kwargs: Any) -> None:
        super().add_row(*(Text(c) if isinstance(c, str) else c for c in cells), **kwargs)


def edge_table(edges: list[dict[str, Any]], title: str) -> Table:
    """Edges as rows: cause, arrow (--> directed, --- undirected), effect, weight,
    frequency across runs, kind (from the sign)."""
    table = Table(title=title)
    for name in ("cause", "", "effect", "weight", "freq", "kind"):
        table.add_column(name, justify="right" if name in ("weight", "freq") else "left")
    for e in edges:
        kind = {1: "co-occurrence", -1: "competition"}.get(e["sign"], "suppression")
        table.add_row(e["cause"], "-->" if e["directed"] else "---", e["effect"],
                      f"{e['weight']:.3f}", f"{e['frequency']:.2f}", kind)
    return table


class Grid:
    """A titled grid of strings that prints as a Rich table or as Markdown."""

    def __init__(self, title: str, headers: list[str], caption: str = ""):
        self.title, self.headers, self.caption = title, headers, caption
        self.rows: list[list[str]] = []

    def rich(self) -> Table:
        table = Table(title=self.title, caption=self.caption or None)
        for i, name in enumerate(self.headers):
            table.add_column(name, justify="left" if i == 0 else "right")
        for row in self.rows:
            table.add_row(*row)
        return table

    def markdown(self) -> str:
        lines = [f"**{self.title}**", "", "| " + " | ".join(self.headers) + " |",
                 "|" + "|".join(["---"] + ["---:"] * (len(self.headers) - 1)) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines + (["", self.caption] if self.caption else []))


def _ci(m: dict[str, Any], key: str) -> str:
    lo_hi = m.get(f"{key}_ci95")
    return f" [{lo_hi[0]:.4f}, {lo_hi[1]:.4f}]" if lo_hi else ""


def metrics_grid(m: dict[str, Any]) -> Grid:
    """One model: each metric as a row, A->V, V->A and their average as columns (bracketed
    95% bootstrap CIs on mAP when computed)."""
    grid = Grid(f"{m['model']}: {m['split']} split, relevance {m['relevance']}, "
                f"{m['queries']} clips", ["metric", "A->V", "V->A", "avg"],
                f"{m['queries_without_relevant']} queries without a relevant item skipped. "
                "mAP: standard AP over the full ranked gallery.")
    names = [k[4:] for k in m if k.startswith("a2v_") and not k.endswith("_ci95")]
    for name in names:
        a, v = m[f"a2v_{name}"], m[f"v2a_{name}"]
        label = name.replace("_", " ") if "NONSTANDARD" not in name else \
            "mAP, cumulative variant (NON-STANDARD, inflated)"
        grid.rows.append([label, f"{a:.4f}{_ci(m, f'a2v_{name}')}",
                          f"{v:.4f}{_ci(m, f'v2a_{name}')}",
                          f"{(a + v) / 2:.4f}{_ci(m, f'avg_{name}')}"])
    return grid


def comparison_grid(result: dict[str, Any]) -> Grid:
    """Several models on one split: a row each, differences to the first with paired
    bootstrap 95% CIs."""
    first = result["models"][0]
    grid = Grid(f"{result['split']} split, relevance {result['relevance']}, "
                f"{first['queries']} clips; differences to {result['baseline']}",
                ["model", "A->V mAP", "V->A mAP", "avg mAP", "avg mAP - first [95% CI]",
                 "avg mAP@R", "avg MRR"], "Standard mAP over the full ranked gallery.")
    for m in result["models"]:
        delta = "" if "delta_avg_mAP" not in m else (
            f"{m['delta_avg_mAP']:+.4f}{_ci(m, 'delta_avg_mAP')}")
        grid.rows.append([m["model"], f"{m['a2v_mAP']:.4f}", f"{m['v2a_mAP']:.4f}",
                          f"{m['avg_mAP']:.4f}", delta,
                          f"{(m['a2v_mAP@R'] + m['v2a_mAP@R']) / 2:.4f}",
                          f"{(m['a2v_MRR'] + m['v2a_MRR']) / 2:.4f}"])
    return grid


def diagnostic_grid(d: dict[str, Any]) -> Grid:
    """The false-negative diagnostic: per edge and pooled, each model's mean distance over
    the linked pairs and its pull relative to the first model, then the random control."""
    later = d["models"][1:]
    grid = Grid(f"false-negative diagnostic, {d['split']} split: graph-linked pairs with "
                f"different labels (soft labels > {d['tau']})",
                ["pairs of", "n", f"distance, {d['models'][0]}"]
                + [f"pull of {m} [95% CI]" for m in later],
                "pull = mean distance under the first model minus under this one, on the "
                "same pairs: positive = held closer. Compare 'all linked' with the random "
                "control: only the difference is targeted at linked pairs.")
    rows = [(f"{e['cause']} -> {e['effect']}", e) for e in d["edges"]]
    rows += [("all linked pairs", d["all_edges"]), ("control: random pairs", d["control"])]
    for name, r in rows:
        pulls = [f"{p:+.4f} [{lo:+.4f}, {hi:+.4f}]"
                 for p, (lo, hi) in zip(r["pull"], r["pull_ci95"])]
        grid.rows.append([name, str(r["pairs"]), f"{r['mean_distance'][0]:.4f}", *pulls])
    return grid


def per_class_grid(m: dict[str, Any]) -> Grid:
    grid = Grid(f"per-class AP ({m['model']})", ["class", "A->V", "V->A"])
    for name, ap in m["per_class_AP"].items():
        grid.rows.append([name, f"{ap['a2v']:.4f}", f"{ap['v2a']:.4f}"])
    return grid


def hits_table(hits: list[dict[str, Any]], title: str) -> Table:
    """Ranked hits of one query."""
    table = Table(title=title)
    for name in ("rank", "clip id", "class", "score"):
        table.add_column(name, justify="right" if name in ("rank", "score") else "left")
    for h in hits:
        table.add_row(str(h["rank"]), h["clip_id"], h["class"], f"{h['score']:.4f}")
    return table


def demo_table(results: dict[str, Any]) -> Table:
    """The plain student vs the default (LIR, weight chosen on val) on the test split, both
    relevance modes, with the paired bootstrap 95% CI of each difference, plus graph
    recovery."""
    rec, chosen = results["graph_recovery"], results.get("chosen") or {}
    form = (f"{chosen['lir']} LIR, weight {chosen['lir_weight']:g} chosen on val"
            if chosen.get("lir") else "LIR (val chose weight 0: the plain loss)")
    loss = results["config"]["distill"]["loss"]
    table = Table(title="avili demo: test split, standard mAP over the full gallery",
                  caption=f"student: {loss} + {form}. Graph recovery of the planted links: "
                          f"recall {rec['recall']:.2f}, precision {rec['precision']:.2f} "
                          f"({int(rec['inferred_links'])} inferred, "
                          f"{int(rec['planted_links'])} planted). Artifacts in "
                          f"{results['workdir']}")
    for name in ("student", "relevance", "A->V", "V->A", "avg", "95% CI"):
        table.add_column(name, justify="left" if name in ("student", "relevance") else "right")
    for rel in ("label", "events"):
        for key, name in (("baseline", f"plain {loss}"), ("lir", f"{loss} + LIR")):
            m = results[key][rel]
            table.add_row(name, rel, f"{m['a2v_mAP']:.4f}", f"{m['v2a_mAP']:.4f}",
                          f"{m['avg_mAP']:.4f}", "")
        m = results["lir"][rel]
        gain = m["avg_mAP"] - results["baseline"][rel]["avg_mAP"]
        ci = m.get("delta_avg_mAP_ci95")
        table.add_row("LIR - plain", rel, "", "", f"{gain:+.4f}",
                      f"[{ci[0]:+.4f}, {ci[1]:+.4f}]" if ci else "", end_section=True)
    return table


def harvest_text(harvested: dict[str, Any] | None) -> str:
    """The harvested modality labels' precision and recall on the test split, as teach's
    summary appends them ("" without the dataset's event truth)."""
    if not harvested:
        return ""
    parts = [f"{side} precision {q['precision']:.2f}, recall {q['recall']:.2f}"
             for side, q in harvested.items()]
    return "; harvested labels vs test events: " + "; ".join(parts)


def extract_line(mode: str, s: dict[str, Any]) -> str:
    """One line saying what ``avili extract`` found and wrote, from its summary dict."""
    splits = s.get("splits", {})
    counts = " / ".join(f"{k} {splits.get(k, 0)}" for k in ("train", "val", "test"))
    if s.get("val_carved"):
        counts += " (val carved from train)"
    line = (f"wrote {s['out']}: {s['clips']} clips ({counts}), {s['classes']} classes, "
            f"audio {s['audio_dim']}-d, visual {s['visual_dim']}-d")
    if mode == "--from":
        line = (f"detected {s['format']} (labels {s['label_encoding']}, pooling "
                f"{s['pooling']}); " + line)
        dropped = {k: v for k, v in (s.get("dropped") or {}).items() if v}
        if dropped:
            line += "; dropped " + ", ".join(f"{v} {k}" for k, v in dropped.items())
    elif mode == "--merge":
        line += f" from {len(s['parts'])} shards"
    elif mode == "--videos":
        skipped = s.get("skipped") or []
        line += f"; skipped {len(skipped)} unreadable files" if skipped else ""
        if s.get("report"):
            line += f" (report: {s['report']})"
    return line


def info_table(info: dict[str, Any], max_classes: int = 20) -> Table:
    """One artifact as rows of field and value (from :func:`avili.info.describe`)."""
    version = info["schema_version"]
    table = Table(title=f"{info['path']}: {info['kind'].replace('_', ' ')} ({info['container']})",
                  show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    names = info["class_names"]
    more = f" ... and {len(names) - max_classes} more" if len(names) > max_classes else ""
    rows = [("schema", f"{info['schema']}, " + (f"version {version}" if version is not None
                                               else "unversioned")),
            ("avili version", info["avili_version"]),
            ("shapes", ", ".join(f"{k} {tuple(v)}" for k, v in info["shapes"].items())),
            ("classes", f"{len(names)}: " + ", ".join(names[:max_classes]) + more if names
             else None),
            ("splits", " / ".join(f"{k} {v}" for k, v in (info["splits"] or {}).items())),
            *[(k.replace("_", " "), _value(v)) for k, v in info["details"].items()],
            ("seed", info["seed"]),
            *[(f"input: {role}", f"{v.get('path')} (sha256 {_short(v.get('sha256'))})")
              for role, v in info["inputs"].items()],
            ("clip ids sha256", _short(info["clip_ids_sha256"])),
            ("config", ", ".join(f"{k}={v}" for k, v in (info["config"] or {}).items()))]
    for field, value in rows:
        if value not in (None, "", []):
            table.add_row(field, str(value))
    return table


def history_table(kind: str, records: list[dict[str, Any]], edge: int = 3) -> Table:
    """A checkpoint's per-epoch records (:func:`avili.train.log.epoch_records`) as rows of
    epoch, training loss, validation score and learning rate; the best epoch is marked.
    Beyond ``2 * edge + 1`` epochs only the first and last ``edge`` and the best show."""
    teacher = kind == "teacher"
    scores = [r.get("val_score") for r in records]
    best = max(range(len(records)), key=lambda i: (scores[i] is not None, scores[i] or 0))
    shown = sorted({*range(edge), best, *range(len(records) - edge, len(records))}
                   if len(records) > 2 * edge + 1 else range(len(records)))
    table = Table(title=f"training history ({len(records)} epochs"
                        f"{'' if len(shown) == len(records) else f', {len(shown)} shown'})")
    for header in ("epoch", "train loss", "val loss" if teacher else "val mAP", "lr", ""):
        table.add_column(header, justify="right")
    for i in shown:
        r, score = records[i], scores[i]
        val = None if score is None else -score if teacher else score
        table.add_row(str(r["epoch"]), _number(r.get("total")), _number(val),
                      "" if r.get("lr") is None else f"{r['lr']:g}", "best" if i == best else "")
    return table


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _short(digest: str | None) -> str | None:
    """A SHA-256 cut to 16 hex digits for the table (``--json`` keeps it whole)."""
    return digest and f"{digest[:16]}..."


def _value(value: Any) -> Any:
    """A detail as short text: floats to 4 decimals, thousands separated, dicts as k=v,
    lists joined."""
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_value(v)}" for k, v in value.items()) or None
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) or None
    return value
