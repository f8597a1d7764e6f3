"""The CLI end to end on a tiny dataset, and its handling of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from avili.cli import app
from tests.helpers import TINY_EXTRACT, copy_dataset, fails, ok, runner


def test_six_commands_chain(pipeline, tmp_path):
    d = pipeline
    for name in ("ave.h5", "ave.planted.npz", "teacher.pt", "soft.npz", "graph.npz",
                 "graph.csv", "student.pt"):
        assert (d / name).is_file(), name
    metrics = json.loads(ok(["eval", "--model", d / "student.pt", "--data", d / "ave.h5",
                             "--json", "--save-embeddings", tmp_path / "emb.npz"]))["models"][0]
    assert 0 < metrics["a2v_mAP"] <= 1 and 0 < metrics["v2a_mAP"] <= 1
    assert metrics["avg_mAP"] == pytest.approx((metrics["a2v_mAP"] + metrics["v2a_mAP"]) / 2)
    emb = np.load(tmp_path / "emb.npz")
    assert emb["audio"].shape[0] == metrics["queries"] == emb["clip_id"].shape[0]
    events = json.loads(ok(["eval", "--model", d / "student.pt", "--data", d / "ave.h5",
                            "--relevance", "events", "--json"]))["models"][0]
    assert events["relevance"] == "events"
    hits = json.loads(ok(["retrieve", "--model", d / "student.pt", "--data", d / "ave.h5",
                          "--query", "syn0-00003", "--k", "4", "--json"]))
    assert [h["rank"] for h in hits["hits"]] == [1, 2, 3, 4]
    scores = [h["score"] for h in hits["hits"]]
    assert scores == sorted(scores, reverse=True)
    table = ok(["retrieve", "--model", d / "student.pt", "--data", d / "ave.h5", "--query",
                "syn0-00003", "--direction", "v2a"])
    assert "syn0-" in table


def test_artifacts_record_provenance(pipeline):
    import torch

    ckpt = torch.load(pipeline / "student.pt", weights_only=True)
    record = json.loads(ckpt["provenance"])
    assert record["avili_version"] and record["config"]["epochs"] == 2
    assert set(record["inputs"]) == {"data", "soft", "graph"}
    assert all(len(v["sha256"]) == 64 for v in record["inputs"].values())
    graph = np.load(pipeline / "graph.npz")
    assert json.loads(str(graph["provenance"]))["seed"] == 0
    assert "state_dict" in ckpt and "audio.0.mean" in ckpt["state_dict"]


@pytest.mark.slow
def test_same_seed_same_soft_labels(pipeline, tmp_path):
    ok(["teach", "--data", pipeline / "ave.h5", "--out", tmp_path / "t.pt", "--epochs", "3",
        "-q"])
    a, b = np.load(pipeline / "soft.npz"), np.load(tmp_path / "soft.npz")
    np.testing.assert_array_equal(a["audio"], b["audio"])
    ok(["infer-graph", tmp_path / "soft.npz"])
    np.testing.assert_array_equal(np.load(pipeline / "graph.npz")["weight"],
                                  np.load(tmp_path / "graph.npz")["weight"])


def test_refuses_overwrite(pipeline):
    fails(["infer-graph", pipeline / "soft.npz"], "output exists; pass --overwrite")


def test_missing_file(tmp_path):
    fails(["teach", "--data", tmp_path / "none.h5", "--out", tmp_path / "t.pt"],
          "none.h5: file not found")
    assert not (tmp_path / "t.pt").exists()


def test_text_file_as_dataset(tmp_path):
    (tmp_path / "x.h5").write_text("not hdf5")
    fails(["teach", "--data", tmp_path / "x.h5", "--out", tmp_path / "t.pt"],
          "x.h5: not a readable HDF5 file")
    assert list(tmp_path.iterdir()) == [tmp_path / "x.h5"]


def test_checkpoint_passed_as_dataset(pipeline, tmp_path):
    fails(["distill", "--data", pipeline / "teacher.pt", "--out", tmp_path / "s.pt",
           "--lir-weight", "0"], "teacher.pt: is a teacher checkpoint, expected an avili dataset")


def test_dataset_passed_as_checkpoint(pipeline):
    fails(["eval", "--model", pipeline / "ave.h5", "--data", pipeline / "ave.h5"],
          "ave.h5: is an avili dataset, expected a student checkpoint")


def test_teacher_passed_as_student(pipeline):
    fails(["eval", "--model", pipeline / "teacher.pt", "--data", pipeline / "ave.h5"],
          "is a teacher checkpoint, expected a student")


def test_soft_labels_from_another_dataset(pipeline, tmp_path):
    ok(TINY_EXTRACT[:-1] + ["5", "--out", tmp_path / "other.h5"])
    err = fails(["distill", "--data", tmp_path / "other.h5", "--soft", pipeline / "soft.npz",
                 "--graph", pipeline / "graph.npz", "--out", tmp_path / "s.pt"],
                "does not belong to")
    assert "soft.npz" in err and "other.h5" in err
    assert not (tmp_path / "s.pt").exists()


@pytest.mark.slow
def test_graph_with_other_classes(pipeline, tmp_path):
    ok(["extract", "--synthetic", "--num-classes", "5", "--clips", "300", "--audio-dim", "16",
        "--visual-dim", "24", "--out", tmp_path / "five.h5"])
    ok(["teach", "--data", tmp_path / "five.h5", "--out", tmp_path / "t.pt", "--epochs", "1",
        "-q"])
    err = fails(["distill", "--data", tmp_path / "five.h5", "--soft", tmp_path / "soft.npz",
                 "--graph", pipeline / "graph.npz", "--out", tmp_path / "s.pt"],
                "does not match")
    assert "graph.npz" in err and "five.h5" in err


def test_missing_key_and_empty_split(tmp_path, tiny):
    import h5py

    from avili.data.schema import write_dataset

    write_dataset(tiny[0], tmp_path / "d.h5")
    with h5py.File(tmp_path / "d.h5", "a") as f:
        del f["visual"]
    fails(["teach", "--data", tmp_path / "d.h5", "--out", tmp_path / "t.pt"],
          "missing required key(s) ['visual']")
    no_val = copy_dataset(tiny[0], split=np.where(tiny[0].split == "val", "train", tiny[0].split))
    write_dataset(no_val, tmp_path / "noval.h5")
    fails(["teach", "--data", tmp_path / "noval.h5", "--out", tmp_path / "t.pt"],
          "noval.h5: split 'val' is empty")
    assert not (tmp_path / "t.pt").exists() and not (tmp_path / "soft.npz").exists()


def test_unknown_query_and_bad_k(pipeline):
    base = ["retrieve", "--model", pipeline / "student.pt", "--data", pipeline / "ave.h5"]
    fails(base + ["--query", "nope"], "query clip id 'nope' is not in the dataset")
    fails(base + ["--query", "syn0-00003", "--k", "0"], "--k must be at least 1")


def test_lir_without_graph_is_refused(pipeline, tmp_path):
    fails(["distill", "--data", pipeline / "ave.h5", "--out", tmp_path / "s.pt"],
          "LIR (--lir-weight > 0) needs --soft and --graph")


def test_bare_soft_labels_with_class_names(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 1))
    np.savez(tmp_path / "bare.npz", audio=np.column_stack([x, rng.standard_normal((400, 1))]),
             visual=np.column_stack([x + 0.3 * rng.standard_normal((400, 1)),
                                     rng.standard_normal((400, 1))]))
    out = json.loads(ok(["infer-graph", tmp_path / "bare.npz", "--class-names", "Dog,Cat",
                         "--json"]))
    assert out["transform"] == "none"
    names = {e["cause"] for e in out["edge_list"]} | {e["effect"] for e in out["edge_list"]}
    assert names >= {"audio:Dog", "visual:Dog"}
    fails(["infer-graph", tmp_path / "bare.npz", "--class-names", "Dog", "--out",
           tmp_path / "g2.npz"], "1 class names for 2 soft-label columns")


def test_version_and_help():
    assert ok(["--version"]).startswith("avili ")
    assert "infer-graph" in ok(["--help"])


def test_infer_graph_stability_exports_and_show(pipeline, tmp_path):
    out = tmp_path / "g.npz"
    s = json.loads(ok(["infer-graph", pipeline / "soft.npz", "--out", out, "--format", "npz",
                       "--format", "graphml", "--plot", tmp_path / "g.png", "--restarts",
                       "2", "--bootstrap", "3", "--min-frequency", "0.5", "--json"]))
    assert (tmp_path / "g.graphml").is_file() and (tmp_path / "g.png").is_file()
    assert all(e["frequency"] >= 0.5 for e in s["edge_list"]) and 0 < s["mean_jaccard"] <= 1
    shown = json.loads(ok(["infer-graph", "--show", out, "--json"]))
    assert shown["edge_list"] == s["edge_list"]
    assert "cause" in ok(["infer-graph", "--show", out, "--top", "2"])
    name = s["edge_list"][0]["cause"].split(":", 1)[1]
    view = json.loads(ok(["infer-graph", "--show", out, "--class", name, "--json"]))
    mine = {f"audio:{name}", f"visual:{name}"}
    assert view["edge_list"] == [e for e in s["edge_list"]
                                 if e["cause"] in mine or e["effect"] in mine]
    fails(["infer-graph", "--show", out, "--class", name.upper()],
          f"unknown class name {name.upper()!r}; did you mean {name!r}?")
    fails(["infer-graph", pipeline / "soft.npz", "--class", name], "--class selects the edges")
    fails(["infer-graph"], "give the soft labels")
    fails(["infer-graph", pipeline / "soft.npz", "--out", tmp_path / "x.npz", "--format",
           "svg"], "unknown --format 'svg'")
    fails(["infer-graph", pipeline / "soft.npz", "--out", out], "output exists")


def test_eval_reports_ranking_metrics_and_labels_the_variant(pipeline):
    d = pipeline
    m = json.loads(ok(["eval", "--model", d / "student.pt", "--data", d / "ave.h5", "--json",
                       "--ci", "--map-variant", "cumulative"]))["models"][0]
    for key in ("mAP@R", "MRR", "P@1", "P@10", "R@10", "mAP_cumulative_NONSTANDARD"):
        assert 0 <= m[f"a2v_{key}"] <= 1 and 0 <= m[f"v2a_{key}"] <= 1, key
    lo, hi = m["avg_mAP_ci95"]
    assert lo < m["avg_mAP"] < hi
    assert set(m["per_class_AP"]) == set(json.loads(ok(["eval", "--model", d / "student.pt",
                                                        "--data", d / "ave.h5", "--json"])
                                                     )["models"][0]["per_class_AP"])
    table = ok(["eval", "--model", d / "student.pt", "--data", d / "ave.h5", "--map-variant",
                "cumulative", "--markdown", "--per-class"])
    assert "NON-STANDARD" in table and "| metric | A->V | V->A | avg |" in table
    assert "per-class AP" in table


@pytest.fixture(scope="module")
def baseline(pipeline, tmp_path_factory) -> Path:
    """A plain student (--lir-weight 0) on the pipeline's dataset."""
    out = tmp_path_factory.mktemp("baseline") / "baseline.pt"
    ok(["distill", "--data", pipeline / "ave.h5", "--out", out, "--epochs", "2",
        "--lir-weight", "0", "-q"])
    return out


@pytest.mark.slow
def test_eval_compares_models_with_paired_differences(pipeline, baseline):
    d = pipeline
    out = json.loads(ok(["eval", "--model", baseline, "--model", d / "student.pt",
                         "--model", baseline, "--data", d / "ave.h5", "--json"]))
    base, student, again = out["models"]
    assert "delta_avg_mAP" not in base and out["baseline"] == str(baseline)
    assert student["delta_avg_mAP"] == pytest.approx(student["avg_mAP"] - base["avg_mAP"])
    lo, hi = student["delta_avg_mAP_ci95"]
    assert lo <= student["delta_avg_mAP"] <= hi
    assert again["delta_avg_mAP"] == 0 and again["delta_avg_mAP_ci95"] == [0.0, 0.0]
    table = ok(["eval", "--model", baseline, "--model", d / "student.pt", "--data",
                d / "ave.h5", "--markdown"])
    assert "avg mAP - first [95% CI]" in table and "student.pt" in table


def test_retrieve_index_and_search(pipeline, tmp_path):
    d = pipeline
    pytest.importorskip("faiss")
    built = json.loads(ok(["retrieve", "index", "--model", d / "student.pt", "--data",
                           d / "ave.h5", "--split", "test", "--out", tmp_path / "g.avx",
                           "--ivfpq", "--nlist", "4", "--pq-m", "4", "--nbits", "4",
                           "--json"]))
    assert 0 <= built["ivfpq_recall@10"]["a2v"] <= 1 and built["clips"] > 0
    from avili.data.gallery import read_gallery

    query = read_gallery(tmp_path / "g.avx").clip_id[0]  # a clip of the indexed test split
    out = json.loads(ok(["retrieve", "search", "--index", tmp_path / "g.avx", "--query", query,
                         "--k", "5", "--json"]))
    assert [h["rank"] for h in out["results"][0]["hits"]] == [1, 2, 3, 4, 5]
    approx = json.loads(ok(["retrieve", "search", "--index", tmp_path / "g.avx", "--query",
                            query, "--approximate", "--json"]))
    assert approx["approximate"] and approx["results"][0]["hits"]
    # the index answers like the direct search over the same split for the same clip
    direct = json.loads(ok(["retrieve", "--model", d / "student.pt", "--data", d / "ave.h5",
                            "--query", query, "--split", "test", "--k", "5", "--json"]))
    indexed = out["results"][0]["hits"]
    assert [h["clip_id"] for h in indexed] == [h["clip_id"] for h in direct["hits"]]
    assert [h["score"] for h in indexed] == pytest.approx([h["score"] for h in direct["hits"]],
                                                          abs=1e-5)
    fails(["retrieve", "search", "--index", tmp_path / "g.avx", "--query", "nope"],
          "query clip id 'nope' is not in the gallery")
    fails(["retrieve", "search", "--index", d / "ave.h5", "--query", query],
          "is an avili dataset, expected a gallery index")
    fails(["retrieve"], "give --model, --data and --query")
    fails(["retrieve", "index", "--model", d / "student.pt", "--data", d / "ave.h5", "--split",
           "test", "--out", tmp_path / "h.avx", "--ivfpq"], "needs at least 1024 gallery items")
    assert not (tmp_path / "h.avx").exists()


def test_retrieve_search_from_a_feature_file(pipeline, tmp_path):
    d = pipeline
    from avili.data.schema import read_dataset

    ds = read_dataset(d / "ave.h5")
    ok(["retrieve", "index", "--model", d / "student.pt", "--data", d / "ave.h5", "--out",
        tmp_path / "g.avx"])
    np.save(tmp_path / "q.npy", ds.audio[:3])
    out = json.loads(ok(["retrieve", "search", "--index", tmp_path / "g.avx", "--query-file",
                         tmp_path / "q.npy", "--model", d / "student.pt", "--k", "4",
                         "--json"]))
    by_id = json.loads(ok(["retrieve", "search", "--index", tmp_path / "g.avx", "--query",
                           ds.clip_id[0], "--k", "4", "--json"]))
    assert len(out["results"]) == 3
    assert [h["clip_id"] for h in out["results"][0]["hits"]] == \
        [h["clip_id"] for h in by_id["results"][0]["hits"]]
    fails(["retrieve", "search", "--index", tmp_path / "g.avx", "--query-file",
           tmp_path / "q.npy"], "--query-file and --query-media need --model")
    fails(["retrieve", "search", "--index", tmp_path / "g.avx", "--query-file",
           tmp_path / "q.npy", "--model", d / "teacher.pt"], "is not the one index")
    np.save(tmp_path / "bad.npy", ds.visual[:2])
    fails(["retrieve", "search", "--index", tmp_path / "g.avx", "--query-file",
           tmp_path / "bad.npy", "--model", d / "student.pt"], "the model expects")
    nan = ds.audio[:2].copy()
    nan[0, 0] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    fails(["retrieve", "search", "--index", tmp_path / "g.avx", "--query-file",
           tmp_path / "nan.npy", "--model", d / "student.pt"], "NaN or Inf")


@pytest.mark.slow
def test_eval_plots_and_graph_diagnostic(pipeline, baseline, tmp_path):
    d = pipeline
    out = json.loads(ok(["eval", "--model", baseline, "--model", d / "student.pt",
                         "--data", d / "ave.h5", "--plot", tmp_path / "plots",
                         "--diagnose-graph", d / "graph.npz", "--soft", d / "soft.npz",
                         "--tau", "0.3", "--json"]))
    names = sorted(Path(p).name for p in out["plots"])
    assert names == ["pr_a2v.png", "pr_v2a.png", "training.png", "tsne_baseline.png",
                     "tsne_student.png"]
    for p in out["plots"]:
        assert Path(p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    before = {p: Path(p).read_bytes() for p in out["plots"]}
    fails(["eval", "--model", d / "student.pt", "--data", d / "ave.h5", "--plot",
           tmp_path / "plots"], "output exists; pass --overwrite")  # earlier PNGs are kept
    assert {p: Path(p).read_bytes() for p in out["plots"]} == before
    ok(["eval", "--model", d / "student.pt", "--data", d / "ave.h5", "--plot",
        tmp_path / "plots", "--overwrite", "--json"])
    diag = out["diagnostic"]
    assert diag["models"] == [str(baseline), str(d / "student.pt")]
    assert diag["control"]["pairs"] == diag["all_edges"]["pairs"]
    fails(["eval", "--model", d / "student.pt", "--data", d / "ave.h5", "--diagnose-graph",
           d / "graph.npz"], "--diagnose-graph needs --soft")
    fails(["eval", "--model", d / "student.pt", "--data", d / "ave.h5", "--diagnose-graph",
           d / "graph.npz", "--soft", d / "soft.npz"], "give at least two --model")


@pytest.mark.slow
def test_teacher_modes_harvest_and_harvested_relevance(pipeline, tmp_path):
    d = pipeline
    out = json.loads(ok(["teach", "--data", d / "ave.h5", "--out", tmp_path / "t.pt",
                         "--soft-out", tmp_path / "soft.npz", "--mode", "independent",
                         "--epochs", "3", "-q", "--json"]))
    assert out["mode"] == "independent"
    assert 0 <= out["harvested"]["audio"]["recall"] <= 1
    from avili.data.softlabels import load_soft_labels

    soft = load_soft_labels(tmp_path / "soft.npz")
    assert soft.audio_labels.shape == soft.audio.shape and soft.visual_labels.any()
    m = json.loads(ok(["eval", "--model", d / "student.pt", "--data", d / "ave.h5",
                       "--relevance", "harvested", "--soft", tmp_path / "soft.npz", "--json"])
                   )["models"][0]
    label = json.loads(ok(["eval", "--model", d / "student.pt", "--data", d / "ave.h5",
                           "--json"]))["models"][0]
    assert m["relevance"] == "harvested" and 0 < m["avg_mAP"] <= 1
    assert m["queries_without_relevant"] >= label["queries_without_relevant"]
    fails(["eval", "--model", d / "student.pt", "--data", d / "ave.h5", "--relevance",
           "harvested"], "--relevance harvested needs --soft")
    from dataclasses import replace

    from avili.data.softlabels import save_soft_labels

    save_soft_labels(replace(soft, audio_labels=None, visual_labels=None), tmp_path / "old.npz")
    fails(["eval", "--model", d / "student.pt", "--data", d / "ave.h5", "--relevance",
           "harvested", "--soft", tmp_path / "old.npz"], "no harvested")


@pytest.mark.slow
def test_ctrl_c_keeps_the_epoch_state_and_resume_finishes(pipeline, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    d, out = pipeline, tmp_path / "s.pt"
    state = tmp_path / "s.pt.state.pt"
    cmd = [sys.executable, "-m", "avili", "distill", "--data", str(d / "ave.h5"), "--out",
           str(out), "--lir-weight", "0", "--epochs", "120", "-q"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not state.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "continue with --resume" in err and "Traceback" not in err
    assert state.is_file() and not out.exists()
    assert not list(tmp_path.glob(".*.part"))  # no half-written temporary left behind
    fails(["distill", "--data", d / "ave.h5", "--out", out, "--lir-weight", "0", "--epochs",
           "120", "--margin", "0.5", "--resume", "-q"], "differing fields: margin (0.3 -> 0.5)")
    before = state.read_bytes()
    fails(["distill", "--data", d / "ave.h5", "--out", out, "--lir-weight", "0", "--epochs",
           "120", "-q"], "pass --resume to continue it (or extend it with more --epochs), or "
          "--overwrite to start over")
    assert state.read_bytes() == before  # a rerun without --resume does not discard it
    ok(["distill", "--data", d / "ave.h5", "--out", out, "--lir-weight", "0", "--epochs",
        "120", "--resume", "-q"])
    assert out.is_file() and state.is_file()  # the state stays: --epochs N+k extends the run


@pytest.mark.slow
def test_same_seed_same_command_gives_byte_identical_artifacts(pipeline, tmp_path):
    d = pipeline
    runs = []
    for _ in range(2):
        ok(["teach", "--data", d / "ave.h5", "--out", tmp_path / "t.pt", "--epochs", "2",
            "--overwrite", "-q"])
        ok(["infer-graph", tmp_path / "soft.npz", "--overwrite", "--restarts", "2"])
        ok(["distill", "--data", d / "ave.h5", "--soft", tmp_path / "soft.npz", "--graph",
            tmp_path / "graph.npz", "--out", tmp_path / "s.pt", "--epochs", "2",
            "--overwrite", "-q"])
        metrics = ok(["eval", "--model", tmp_path / "s.pt", "--data", d / "ave.h5", "--json",
                      "--ci"])
        runs.append([(tmp_path / n).read_bytes() for n in ("soft.npz", "graph.npz")]
                    + [metrics])
    assert runs[0] == runs[1]


@pytest.mark.slow
def test_no_gather_is_recorded_in_the_config(pipeline, tmp_path):
    from avili.students import load_student

    ok(["distill", "--data", pipeline / "ave.h5", "--lir-weight", "0", "--no-gather",
        "--out", tmp_path / "s.pt", "--epochs", "1", "-q"])
    assert load_student(tmp_path / "s.pt")[1]["config"]["gather"] is False
    assert load_student(pipeline / "student.pt")[1]["config"]["gather"] is True


def test_distill_auto_records_its_val_selection(pipeline):
    import torch

    ckpt = torch.load(pipeline / "student.pt", weights_only=True)
    record = json.loads(ckpt["provenance"])
    sel = record["selection"]
    assert [c["lir_weight"] for c in sel["candidates"]] == [0.0, 0.5, 1.0, 2.0]
    assert all(0 <= c["val_avg_mAP"] <= 1 for c in sel["candidates"])
    assert record["config"]["lir_weight"] == sel["chosen"]["lir_weight"]
    assert record["config"]["lir"] == "graded" and record["config"]["loss"] == "supcon"
    info = json.loads(ok(["info", pipeline / "student.pt", "--json"]))
    assert info["details"]["lir_chosen_on_val"] == sel["chosen"]
    assert info["details"]["lir_candidates"].count(";") == 3


@pytest.mark.slow
def test_distill_lir_options(pipeline, tmp_path):
    d = pipeline
    base = ["distill", "--data", d / "ave.h5", "--soft", d / "soft.npz", "--graph",
            d / "graph.npz", "--epochs", "1", "-q"]
    fails(base + ["--out", tmp_path / "a.pt", "--lir-weight", "lots"],
          "--lir-weight takes a number or 'auto'")
    fails(base + ["--out", tmp_path / "a.pt", "--graph-weight", "x"],
          "--graph-weight takes a number or 'auto'")
    fails(base + ["--out", tmp_path / "a.pt", "--lir", "eliminate", "--loss", "triplet",
                  "--lir-weight", "1"], "--lir eliminate needs a loss with negatives")
    bad = runner.invoke(app, [str(a) for a in base + ["--out", tmp_path / "a.pt", "--lir", "nope"]])
    assert bad.exit_code == 2 and "'nope' is not one of" in bad.output  # Click's usage error
    assert not (tmp_path / "a.pt").exists()
    for form in ("eliminate", "pull", "pair"):
        out = json.loads(ok(base + ["--out", tmp_path / f"{form}.pt", "--lir", form,
                                    "--lir-weight", "1", "--json"]))
        assert out["lir"] == form and out["lir_weight"] == 1 and "selection" not in out
    out = json.loads(ok(base + ["--out", tmp_path / "g.pt", "--lir-weight", "1",
                                "--graph-weight", "auto", "--json"]))
    assert [(c["lir_weight"], c["graph_weight"]) for c in out["selection"]["candidates"]] == [
        (0.0, 0.0), (1.0, 0.0), (1.0, 0.5), (1.0, 1.0)]
    fails(base + ["--out", tmp_path / "r.pt", "--resume"], "--resume is not available")


@pytest.mark.slow
def test_teach_negatives_options(pipeline, tmp_path):
    d = pipeline
    for mode in ("assume", "weak", "epr"):
        out = json.loads(ok(["teach", "--data", d / "ave.h5", "--out", tmp_path / f"{mode}.pt",
                             "--soft-out", tmp_path / f"{mode}.npz", "--negatives", mode,
                             "--epochs", "2", "-q", "--json"]))
        assert 1 <= out["best_epoch"] <= 2  # counted from 1
    bad = runner.invoke(app, ["teach", "--data", str(d / "ave.h5"), "--out", str(tmp_path / "x.pt"),
                              "--negatives", "none"])
    assert bad.exit_code == 2 and "'none' is not one of" in bad.output


@pytest.mark.parametrize("option, value", [("--lir-weight", "-1"), ("--lir-weight", "nan"),
                                           ("--graph-weight", "1.5"), ("--tolerance", "inf")])
def test_distill_refuses_out_of_range_lir_options(pipeline, tmp_path, option, value):
    fails(["distill", "--data", pipeline / "ave.h5", "--soft", pipeline / "soft.npz", "--graph",
           pipeline / "graph.npz", "--out", tmp_path / "s.pt", option, value], option)
    assert not (tmp_path / "s.pt").exists()


@pytest.mark.parametrize("args", [["--expected-positives", "0"], ["--negative-weight", "2"]])
def test_teach_refuses_out_of_range_negatives_options(pipeline, tmp_path, args):
    fails(["teach", "--data", pipeline / "ave.h5", "--out", tmp_path / "t.pt"] + args, args[0])


def test_infer_graph_refuses_a_negative_min_lift(pipeline, tmp_path):
    fails(["infer-graph", pipeline / "soft.npz", "--out", tmp_path / "g.npz", "--min-lift",
           "-1"], "--min-lift")


def test_two_outputs_naming_one_file_are_refused(pipeline, tmp_path):
    fails(["teach", "--data", pipeline / "ave.h5", "--out", tmp_path / "t.pt", "--soft-out",
           tmp_path / "t.pt"], "two outputs of this command name the same file")
    fails(["infer-graph", pipeline / "soft.npz", "--out", tmp_path / "g.npz", "--csv",
           tmp_path / "g.npz"], "two outputs of this command name the same file")
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_teach_writes_both_outputs_or_neither(pipeline, tmp_path, monkeypatch):
    import avili.api as api_module

    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(api_module, "save_soft_labels", broken)
    from avili.config import TeachConfig

    with pytest.raises(OSError):
        api_module.teach(pipeline / "ave.h5", TeachConfig(epochs=1), tmp_path / "t.pt",
                         tmp_path / "soft.npz")
    assert not (tmp_path / "t.pt").exists() and not (tmp_path / "soft.npz").exists()
    assert (tmp_path / "t.pt.state.pt").exists()  # so --resume can finish the job
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize("command, args, option", [
    ("teach", ["--epochs", "0"], "--epochs"), ("teach", ["--lr", "nan"], "--lr"),
    ("teach", ["--lr", "inf"], "--lr"), ("teach", ["--hidden", "0"], "--hidden"),
    ("teach", ["--harvest-quantile", "2"], "--harvest-quantile"),
    ("teach", ["--seed", "-1"], "--seed"), ("teach", ["--batch-size", "0"], "--batch-size"),
    ("distill", ["--epochs", "-1"], "--epochs"), ("distill", ["--embed-dim", "-4"], "--embed-dim"),
    ("distill", ["--batch-size", "0"], "--batch-size"), ("distill", ["--margin", "-1"], "--margin"),
    ("distill", ["--temperature", "nan"], "--temperature"),
    ("infer-graph", ["--lambda", "nan"], "--lambda"), ("infer-graph", ["--lambda", "0"], "--lambda"),
    ("infer-graph", ["--top-k", "-1"], "--top-k"), ("eval", ["--chunk", "-5"], "--chunk"),
    ("eval", ["--seed", "-1"], "--seed")])
def test_bad_option_values_get_one_line_naming_the_option(pipeline, tmp_path, command, args,
                                                          option):
    d, out = pipeline, tmp_path / "new" / "out"
    base = {"teach": ["teach", "--data", d / "ave.h5", "--out", out],
            "distill": ["distill", "--data", d / "ave.h5", "--out", out, "--lir-weight", "0"],
            "infer-graph": ["infer-graph", d / "soft.npz", "--out", out],
            "eval": ["eval", "--model", d / "student.pt", "--data", d / "ave.h5",
                     "--save-embeddings", out]}[command]
    fails(base + args, option)
    assert not (tmp_path / "new").exists()  # refused before any folder is made


@pytest.mark.slow
def test_resume_with_other_inputs_is_refused(pipeline, tmp_path):
    import shutil
    import signal
    import subprocess
    import sys
    import time

    d, out = pipeline, tmp_path / "t.pt"
    state = tmp_path / "t.pt.state.pt"
    cmd = [sys.executable, "-m", "avili", "teach", "--data", str(d / "ave.h5"), "--out",
           str(out), "--epochs", "300", "-q"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not state.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert state.is_file()
    other = tmp_path / "other.h5"
    ok(TINY_EXTRACT[:-1] + ["1", "--out", other])  # another seed: other clips
    fails(["teach", "--data", other, "--out", out, "--epochs", "300", "--resume"],
          "--resume with other input files than the interrupted run (data differ)")
    shutil.copy(d / "ave.h5", tmp_path / "same.h5")  # the same data under another name
    ok(["teach", "--data", tmp_path / "same.h5", "--out", out, "--epochs", "300", "--resume",
        "-q"])
    assert out.is_file() and state.is_file()


@pytest.mark.slow
def test_markup_in_class_names_and_paths_prints_as_text(tmp_path, tiny):
    from dataclasses import replace

    from avili.data.schema import write_dataset

    folder = tmp_path / "[bold]x"
    folder.mkdir()
    data = folder / "d.h5"
    write_dataset(replace(tiny[0], class_names=["[/]", "[bold]x", "a[/b]", "d"]), data)
    shown = ok(["info", data])
    assert "[/]" in shown and "a[/b]" in shown and "[bold]x" in shown
    ok(["distill", "--data", data, "--out", folder / "s.pt", "--lir-weight", "0", "--epochs", "1",
        "-q"])
    table = ok(["eval", "--model", folder / "s.pt", "--data", data, "--per-class"])
    assert "a[/b]" in table


def test_json_output_is_valid_json_with_non_finite_numbers():
    from avili.cli._json import _finite

    assert json.loads(json.dumps(_finite({"a": [float("-inf"), 1.0], "b": float("nan")}),
                                 allow_nan=False)) == {"a": [None, 1.0], "b": None}


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["teach", "distill"])
def test_resume_with_more_epochs_extends_a_finished_run_exactly(pipeline, tmp_path, stage):
    """--resume --epochs N+k after a finished N-epoch run gives the very weights (and
    soft labels) of a run started with N+k epochs; fewer epochs than done are refused."""
    import torch

    d = pipeline
    base = {"teach": ["teach", "--data", d / "ave.h5", "--hidden", "16", "-q"],
            "distill": ["distill", "--data", d / "ave.h5", "--lir-weight", "0",
                        "--embed-dim", "8", "-q"]}[stage]
    run, fresh = tmp_path / "run.pt", tmp_path / "fresh.pt"
    ok(base + ["--out", run, "--epochs", "2"])
    fails(base + ["--out", run, "--epochs", "1", "--resume"],
          "has already trained 2 epochs; pass --epochs 2 to finish it, or more to extend it")
    ok(base + ["--out", run, "--epochs", "5", "--resume"])
    ok(base + ["--out", fresh, "--epochs", "5"] + (
        ["--soft-out", tmp_path / "fresh.npz"] if stage == "teach" else []))
    got, want = (torch.load(p, weights_only=True) for p in (run, fresh))
    assert len(got["history"]) == len(want["history"]) == 5
    for key, value in want["state_dict"].items():
        torch.testing.assert_close(got["state_dict"][key], value, rtol=0, atol=0)


@pytest.mark.slow
def test_training_flags_reach_the_config_and_the_device_used_is_recorded(pipeline, tmp_path):
    import torch

    d = pipeline
    ok(["teach", "--data", d / "ave.h5", "--out", tmp_path / "t.pt", "--epochs", "1",
        "--weight-decay", "0.01", "--dropout", "0.1", "-q"])
    ok(["distill", "--data", d / "ave.h5", "--out", tmp_path / "s.pt", "--epochs", "1",
        "--lir-weight", "0", "--hidden", "24", "--weight-decay", "0", "--dropout", "0", "-q"])
    teacher, student = (torch.load(tmp_path / n, weights_only=True) for n in ("t.pt", "s.pt"))
    assert (teacher["config"]["weight_decay"], teacher["config"]["dropout"]) == (0.01, 0.1)
    assert (student["config"]["hidden"], student["config"]["dropout"]) == (24, 0.0)
    assert student["state_dict"]["audio.1.weight"].shape[0] == 24
    for ckpt in (teacher, student):
        assert json.loads(ckpt["provenance"])["training"]["device"] == "cpu"  # not "auto"


def test_out_of_memory_is_one_line(pipeline, tmp_path, monkeypatch):
    import avili.api

    def exhausted(*args, **kwargs):
        raise MemoryError("Allocation failed (probably too large).")

    monkeypatch.setattr(avili.api, "infer_graph", exhausted)
    fails(["infer-graph", pipeline / "soft.npz", "--out", tmp_path / "g.npz"],
          "out of memory: this run needs more than the machine could allocate")
    assert not list(tmp_path.iterdir())
