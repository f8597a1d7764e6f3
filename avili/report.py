"""Rich tables for the CLI's stdout."""

from __future__ import annotations

from typing import Any

from rich.table import Table


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


def metrics_table(rows: dict[str, dict[str, Any]], title: str) -> Table:
    """One row per model: A->V, V->A and average standard mAP."""
    table = Table(title=title)
    for name in ("model", "A->V mAP", "V->A mAP", "avg mAP", "queries"):
        table.add_column(name, justify="left" if name == "model" else "right")
    for name, m in rows.items():
        table.add_row(name, f"{m['a2v_mAP']:.4f}", f"{m['v2a_mAP']:.4f}", f"{m['avg_mAP']:.4f}",
                      str(m["queries"]))
    return table


def hits_table(result: dict[str, Any]) -> Table:
    """Ranked hits of one query."""
    table = Table(title=f"{result['direction']} hits for {result['query']} "
                        f"({result['query_class']}), gallery {result['gallery_size']}")
    for name in ("rank", "clip id", "class", "score"):
        table.add_column(name, justify="right" if name in ("rank", "score") else "left")
    for h in result["hits"]:
        table.add_row(str(h["rank"]), h["clip_id"], h["class"], f"{h['score']:.4f}")
    return table


def demo_table(results: dict[str, Any]) -> Table:
    """Baseline vs LIR on the test split, both relevance modes, plus graph recovery."""
    rec = results["graph_recovery"]
    table = Table(title="avili demo: test split, standard mAP over the full gallery",
                  caption=f"graph recovery of the planted links: recall {rec['recall']:.2f}, "
                          f"precision {rec['precision']:.2f} ({int(rec['inferred_links'])} "
                          f"inferred, {int(rec['planted_links'])} planted). "
                          f"Artifacts in {results['workdir']}")
    for name in ("student", "relevance", "A->V", "V->A", "avg"):
        table.add_column(name, justify="left" if name in ("student", "relevance") else "right")
    for rel in ("label", "events"):
        for key, name in (("baseline", "baseline (--lir-weight 0)"), ("lir", "LIR")):
            m = results[key][rel]
            table.add_row(name, rel, f"{m['a2v_mAP']:.4f}", f"{m['v2a_mAP']:.4f}",
                          f"{m['avg_mAP']:.4f}")
        gain = results["lir"][rel]["avg_mAP"] - results["baseline"][rel]["avg_mAP"]
        table.add_row("LIR - baseline", rel, "", "", f"{gain:+.4f}", end_section=True)
    return table


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
