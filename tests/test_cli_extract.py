"""``avili extract``: the four sources through the CLI, mode errors, and the downstream
stages running on imported data."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from tests.helpers import TINY_EXTRACT, fails, ok

NAMES = ["Clock", "Motorcycle", "Train horn", "Bark"]


@pytest.fixture
def flagged_h5(tmp_path):
    """A VEGAS/AVE-style flagged file: per-second VGGish-like audio, one-hot labels."""
    rng = np.random.default_rng(0)
    n, c = 240, len(NAMES)
    label = np.arange(n) % c
    path = tmp_path / "published.h5"
    with h5py.File(path, "w") as f:
        f["vggish_Features"] = (rng.standard_normal((c, 1, 16))[label]
                                + rng.standard_normal((n, 3, 16))).astype("f4")
        f["inception_Features"] = (rng.standard_normal((c, 24))[label]
                                   + rng.standard_normal((n, 24))).astype("f4")
        f["Label_ID"] = np.eye(c)[label]
        f["Train_test"] = np.where(np.arange(n) % 4 == 0, b"0", b"1")
    (tmp_path / "names.txt").write_text("\n".join(NAMES) + "\n")
    return path


@pytest.mark.slow
def test_from_feature_file_then_whole_pipeline(flagged_h5, tmp_path):
    d = tmp_path
    s = json.loads(ok(["extract", "--from", flagged_h5, "--out", d / "data.h5",
                       "--class-names", d / "names.txt", "--json", "-q"]))
    assert s["format"] == "flagged-h5" and s["val_carved"] and s["clips"] == 240
    assert s["splits"]["test"] == 60 and s["splits"]["val"] > 0
    assert s["class_names"] == NAMES and (s["audio_dim"], s["visual_dim"]) == (16, 24)
    ok(["teach", "--data", d / "data.h5", "--out", d / "t.pt", "--epochs", "2", "-q"])
    ok(["infer-graph", d / "soft.npz"])
    ok(["distill", "--data", d / "data.h5", "--soft", d / "soft.npz", "--graph",
        d / "graph.npz", "--out", d / "s.pt", "--epochs", "2", "-q"])
    metrics = json.loads(ok(["eval", "--model", d / "s.pt", "--data", d / "data.h5",
                             "--json"]))["models"][0]
    assert metrics["queries"] == 60 and 0 < metrics["avg_mAP"] <= 1


def test_from_reports_what_it_found_and_selects_classes(flagged_h5, tmp_path):
    out = ok(["extract", "--from", flagged_h5, "--out", tmp_path / "sub.h5", "-q",
              "--class-names", tmp_path / "names.txt", "--classes", "Bark,Clock"])
    assert "detected flagged-h5" in out and "one-hot" in out and "2 classes" in out
    assert "dropped 120 not_selected" in out
    fails(["extract", "--from", flagged_h5, "--out", tmp_path / "x.h5", "--class-names",
           tmp_path / "names.txt", "--classes", "Dogg"], "unknown class name 'Dogg'")
    assert not (tmp_path / "x.h5").exists()


def test_unsupported_source_lists_formats(tmp_path):
    bad = tmp_path / "notes.h5"
    with h5py.File(bad, "w") as f:
        f["something"] = np.zeros(3)
    err = fails(["extract", "--from", bad, "--out", tmp_path / "x.h5"], str(bad))
    assert "supported formats" in err and "presplit" in err


def test_exactly_one_source(tmp_path):
    fails(["extract", "--out", tmp_path / "x.h5"], "exactly one of --synthetic")
    fails(["extract", "--synthetic", "--from", tmp_path, "--out", tmp_path / "x.h5"],
          "got --synthetic, --from")
    fails(["extract", "--videos", tmp_path, "--out", tmp_path / "x.h5"],
          "--videos needs --labels labels.csv")
    fails(["extract", "--synthetic", tmp_path / "a.h5", "--out", tmp_path / "x.h5"],
          "only --merge takes file arguments")


def test_merge_shards(tmp_path):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    ok(TINY_EXTRACT + ["--out", a])
    ok([*TINY_EXTRACT[:-1], "1", "--out", b])  # same shape, other seed: other clip ids
    s = json.loads(ok(["extract", "--merge", a, b, "--out", tmp_path / "m.h5", "--json", "-q"]))
    assert s["clips"] == 480 and len(s["parts"]) == 2
    fails(["extract", "--merge", a, a, "--out", tmp_path / "m2.h5"], "duplicate clip id 'syn0-")
    fails(["extract", "--merge", a, "--out", tmp_path / "m.h5"], "output exists")


def _presplit_npz(path):
    rng = np.random.default_rng(1)
    arrays = {}
    for split, n in (("train", 120), ("test", 40)):
        label = np.arange(n) % len(NAMES)
        arrays[f"audio_{split}"] = rng.standard_normal((n, 16)).astype("f4") + label[:, None]
        arrays[f"visual_{split}"] = rng.standard_normal((n, 24)).astype("f4") - label[:, None]
        arrays[f"lab_{split}"] = label
    np.savez(path, **arrays)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["presplit-npz", "ave-release"])
def test_other_formats_feed_the_pipeline(kind, tmp_path):
    from tests.helpers import release

    d = tmp_path
    if kind == "presplit-npz":
        source, extra = _presplit_npz(d / "vegas_like.npz"), []
    else:
        release(d / "AVE")
        source, extra = d / "AVE", ["--classes", "Church bell,Female speech/woman speaking,"
                                                "Frying (food),Train horn"]
        fails(["extract", "--from", source, "--out", d / "x.h5", "--classes", "Ukulele,Bark"],
              "class 'Ukulele' in --classes has no clips")
    s = json.loads(ok(["extract", "--from", source, "--out", d / "data.h5", "--json", "-q",
                       *extra]))
    assert s["format"] == kind and s["classes"] == 4
    ok(["teach", "--data", d / "data.h5", "--out", d / "t.pt", "--epochs", "2", "-q"])
    ok(["distill", "--data", d / "data.h5", "--lir-weight", "0", "--out", d / "s.pt",
        "--epochs", "2", "-q"])
    metrics = json.loads(ok(["eval", "--model", d / "s.pt", "--data", d / "data.h5", "--json"])
                         )["models"][0]
    assert metrics["queries"] == s["splits"]["test"] and 0 < metrics["avg_mAP"] <= 1


def test_synthetic_split_shares_and_their_limits(tmp_path):
    out = json.loads(ok([*TINY_EXTRACT, "--val-fraction", "0.05",
                         "--test-fraction", "0.1", "--out", tmp_path / "s.h5", "--json"]))
    splits = out["splits"]  # under "splits", as every other source and avili info have them
    total = splits["train"] + splits["val"] + splits["test"]
    assert abs(splits["val"] / total - 0.05) < 0.02 and abs(splits["test"] / total - 0.1) < 0.02
    fails([*TINY_EXTRACT, "--val-fraction", "0.5",
           "--test-fraction", "0.5", "--out", tmp_path / "bad.h5"], "leave no clips to train on")
    assert not (tmp_path / "bad.h5").exists()


def test_synthetic_with_real_audioset_cooccurrence(tmp_path):
    from avili.cli import app
    from avili.data.schema import read_dataset
    from avili.data.graphfile import load_graph
    from tests.helpers import runner

    real = ["extract", "--synthetic", "--cooccurrence", "audioset", "--clips", "290",
            "--audio-dim", "8", "--visual-dim", "8"]
    out = json.loads(ok([*real, "--out", tmp_path / "r.h5", "--json"]))
    assert out["classes"] == 29 and out["planted_links"] > 0
    ds = read_dataset(tmp_path / "r.h5")
    assert ds.provenance["config"]["cooccurrence"] == "audioset" and "Speech" in ds.class_names
    assert load_graph(tmp_path / "r.planted.npz").class_names == ds.class_names
    fails([*real, "--num-classes", "4", "--out", tmp_path / "x.h5"], "--num-classes and --rules")
    bad = runner.invoke(app, [*real[:3], "bogus", "--out", str(tmp_path / "y.h5")])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert "'bogus' is not one of" in bad.output and "'planted', 'audioset'" in bad.output


def test_synthetic_draws_event_sets_from_a_label_set_file(tmp_path):
    """--label-sets FILE: the file's classes and co-occurrences, recorded as an input."""
    import h5py

    rows = ["A;B"] * 25 + ["A"] * 5 + ["B"] * 5 + ["C"] * 100  # A, B: lift 3.75
    sets = tmp_path / "sets.csv"
    sets.write_text("# class,/m/a,A\n# class,/m/b,B\n# class,/m/c,C\nytid,labels\n"
                    + "".join(f"y{i},{s}\n" for i, s in enumerate(rows)))
    out = tmp_path / "d.h5"
    ok(["extract", "--synthetic", "--cooccurrence", "audioset", "--label-sets", sets,
        "--clips", 300, "--audio-dim", 8, "--visual-dim", 8, "--out", out,
        "--planted-out", tmp_path / "truth.npz", "--quiet"])
    with h5py.File(out) as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f["class_names"][()]]
        assert names == ["A", "B", "C"]
        assert "sets.csv" in f.attrs["provenance"]
    from avili.data.graphfile import class_pairs, load_graph

    assert class_pairs(load_graph(tmp_path / "truth.npz")) == {frozenset((0, 1))}
    fails(["extract", "--synthetic", "--label-sets", sets, "--out", tmp_path / "e.h5"],
          "--label-sets belongs to --cooccurrence audioset")
