import h5py
import numpy as np
import pytest

from avili.config import ImportConfig
from avili.data.importers import detect_format, import_features
from avili.data.schema import EVENT_KEYS, DatasetWriter, read_dataset, write_dataset
from tests.helpers import Recorder

N, C, DA, DV = 40, 4, 6, 5


def source(n=N, c=C, t=None, seed=0):
    """Features, int labels (every class present) and "1"/"0" flags (both present)."""
    rng = np.random.default_rng(seed)
    lead = (n,) if t is None else (n, t)
    label = rng.permutation(np.arange(n) % c)
    flag = np.where(np.arange(n) % 4 == 3, "0", "1")
    return {"audio": rng.normal(size=(*lead, DA)).astype(np.float32),
            "visual": rng.normal(size=(*lead, DV)).astype(np.float32),
            "label": label, "flag": flag}


def flags(flag, kind):
    if kind == "bytes":
        return flag.astype("S1")
    if kind == "int":
        return flag.astype(np.int64)
    if kind == "vlen":  # h5py variable-length strings
        return np.array(flag.tolist(), dtype=h5py.string_dtype())
    return flag  # numpy unicode: only NPZ can hold it


def save(path, arrays):
    if str(path).endswith(".npz"):
        np.savez(path, **arrays)
    else:
        with h5py.File(path, "w") as f:
            for key, value in arrays.items():
                f.create_dataset(key, data=value)
    return path


def flagged(src, one_hot=False, flag_kind="bytes", keys=("audio_feat", "visual_feat"),
            split_key="Train_test", **extra):
    labels = np.eye(C, dtype=np.float32)[src["label"]] if one_hot else src["label"]
    return {keys[0]: src["audio"], keys[1]: src["visual"], "Label_ID": labels,
            split_key: flags(src["flag"], flag_kind), **extra}


def presplit(src, one_hot=False):
    train, test = src["flag"] == "1", src["flag"] == "0"
    lab = np.eye(C, dtype=np.int64)[src["label"]] if one_hot else src["label"]
    return {"audio_train": src["audio"][train], "audio_test": src["audio"][test],
            "visual_train": src["visual"][train], "visual_test": src["visual"][test],
            "lab_train": lab[train], "lab_test": lab[test]}


def convert(tmp_path, path, **options):
    out = tmp_path / "out.h5"
    summary = import_features(path, out, ImportConfig(**options))
    return summary, read_dataset(out)


@pytest.mark.parametrize("suffix", ["h5", "npz"])
@pytest.mark.parametrize("one_hot", [False, True])
@pytest.mark.parametrize("flag_kind", ["bytes", "int", "str"])
def test_flagged_round_trip(tmp_path, suffix, one_hot, flag_kind):
    if flag_kind == "str" and suffix == "h5":
        flag_kind = "vlen"
    src = source()
    path = save(tmp_path / f"src.{suffix}", flagged(src, one_hot, flag_kind))
    assert detect_format(path) == f"flagged-{suffix}"
    summary, ds = convert(tmp_path, path)
    np.testing.assert_array_equal(ds.audio, src["audio"])
    np.testing.assert_array_equal(ds.visual, src["visual"])
    np.testing.assert_array_equal(ds.label, src["label"])
    assert ((ds.split == "test") == (src["flag"] == "0")).all()
    assert ds.clip_id.tolist() == [f"flagged-{suffix}-{i}" for i in range(N)]
    assert ds.class_names == ["class_00", "class_01", "class_02", "class_03"]
    assert summary["label_encoding"] == ("one-hot" if one_hot else "int")
    assert summary["class_names_source"] == "default" == ds.provenance["class_names_source"]
    assert summary["clips"] == N and sum(summary["splits"].values()) == N
    assert ds.provenance["inputs"]["source"]["sha256"]


def test_alternative_keys_names_and_ids(tmp_path):
    src = source()
    ids = np.array([f"vid{i:03d}" for i in range(N)], dtype="S6")
    names = np.array([b"Dog", b"Cat", b"Bus", b"Horse"])
    path = save(tmp_path / "vegas.h5", flagged(
        src, keys=("vggish_Features", "inception_Features"), split_key="Split",
        video_id=ids, class_names=names))
    summary, ds = convert(tmp_path, path)
    assert ds.class_names == ["Dog", "Cat", "Bus", "Horse"]
    assert summary["class_names_source"] == "file"
    assert ds.clip_id.tolist() == [f"vid{i:03d}" for i in range(N)]


def test_per_second_features_are_mean_pooled(tmp_path):
    src = source(t=3)
    path = save(tmp_path / "src.h5", flagged(src))
    summary, ds = convert(tmp_path, path)
    expected = src["audio"].astype(np.float64).mean(axis=1).astype(np.float32)
    np.testing.assert_array_equal(ds.audio, expected)
    np.testing.assert_array_equal(ds.visual, src["visual"].astype(np.float64).mean(axis=1)
                                  .astype(np.float32))
    assert summary["pooling"] == "mean over time" and ds.audio.shape == (N, DA)


@pytest.mark.parametrize("suffix", ["h5", "npz"])
def test_presplit_round_trip(tmp_path, suffix):
    src = source()
    path = save(tmp_path / f"src.{suffix}", presplit(src, one_hot=True))
    assert detect_format(path) == f"presplit-{suffix}"
    summary, ds = convert(tmp_path, path, val_fraction=0.0)
    order = np.concatenate([np.flatnonzero(src["flag"] == "1"), np.flatnonzero(src["flag"] == "0")])
    np.testing.assert_array_equal(ds.audio, src["audio"][order])
    np.testing.assert_array_equal(ds.label, src["label"][order])
    assert ds.clip_id[0] == f"presplit-{suffix}-train-0"
    assert ds.clip_id[-1] == f"presplit-{suffix}-test-{(src['flag'] == '0').sum() - 1}"
    assert summary["splits"] == {"train": 30, "val": 0, "test": 10}
    assert summary["val_carved"] is False and ds.provenance["val_carved"] is False


def test_presplit_val_keys_are_used_not_carved(tmp_path):
    src = source()
    arrays = presplit(src)
    arrays.update(audio_val=src["audio"][:8], visual_val=src["visual"][:8],
                  lab_val=src["label"][:8])
    summary, ds = convert(tmp_path, save(tmp_path / "src.h5", arrays))
    assert summary["splits"]["val"] == 8 and not summary["val_carved"]


def test_val_carving_is_stratified_deterministic_and_recorded(tmp_path):
    src = source(n=200)
    path = save(tmp_path / "src.h5", flagged(src))
    summary, ds = convert(tmp_path, path, val_fraction=0.2, seed=3)
    train_or_val = src["flag"] == "1"
    for c in range(C):
        n_c = int((train_or_val & (src["label"] == c)).sum())
        assert ((ds.split == "val") & (ds.label == c)).sum() == int(np.floor(n_c * 0.2 + 0.5))
    assert (ds.split[src["flag"] == "0"] == "test").all()
    assert summary["val_carved"] and ds.provenance["val_carved"] is True
    assert ds.provenance["val_fraction"] == 0.2 and ds.provenance["val_seed"] == 3
    again = import_features(path, tmp_path / "again.h5", ImportConfig(val_fraction=0.2, seed=3))
    assert again == {**summary, "out": str(tmp_path / "again.h5")}
    assert read_dataset(tmp_path / "again.h5").split.tolist() == ds.split.tolist()
    import_features(path, tmp_path / "other.h5", ImportConfig(val_fraction=0.2, seed=4))
    assert read_dataset(tmp_path / "other.h5").split.tolist() != ds.split.tolist()


def test_class_subset_by_name_from_names_file(tmp_path):
    src = source()
    names = tmp_path / "names.txt"
    names.write_text("Dog\nCat\n\nBus\nHorse\n")
    path = save(tmp_path / "src.npz", flagged(src, one_hot=True))
    summary, ds = convert(tmp_path, path, classes=["Bus", "Dog"],
                          class_names_file=str(names))
    keep = np.isin(src["label"], [2, 0])
    np.testing.assert_array_equal(ds.audio, src["audio"][keep])
    np.testing.assert_array_equal(ds.label, np.where(src["label"][keep] == 2, 0, 1))
    assert ds.class_names == ["Bus", "Dog"] and summary["class_names_source"] == "class_names_file"
    assert summary["dropped"] == {"not_selected": int((~keep).sum())}
    assert ds.clip_id[0] == f"flagged-npz-{np.flatnonzero(keep)[0]}"


def test_unknown_class_name_lists_known(tmp_path):
    path = save(tmp_path / "src.h5", flagged(source()))
    with pytest.raises(ValueError, match=r"unknown class name 'Dogg' in --classes; known: "
                                         r"class_00, class_01, class_02, class_03"):
        convert(tmp_path, path, classes=["class_01", "Dogg"])
    assert not (tmp_path / "out.h5").exists()


def _drop(key):
    return lambda a: {k: v for k, v in a.items() if k != key}


def _put(key, fn):
    return lambda a: {**a, key: fn(a[key])}


NAN_ROW = _put("audio_feat", lambda x: np.where(np.arange(N)[:, None] == 3, np.nan, x))
BROKEN = {
    "missing label": (_drop("Label_ID"), r"missing key 'Label_ID' for the flagged layout"),
    "missing flag": (_drop("Train_test"), r"missing key 'Train_test' or 'Split'"),
    "mismatched n": (_put("Label_ID", lambda x: x[:-1]),
                     r"'audio_feat' has 40 rows but 'Label_ID' has 39"),
    "wrong rank": (_put("audio_feat", lambda x: x[:, :, None, None]),
                   r"'audio_feat' must be \(N, D\) or per-second \(N, T, D\)"),
    "string features": (_put("visual_feat", lambda x: np.full((N, DV), b"x")),
                        r"'visual_feat' must be numeric, found dtype \|S1"),
    "missing visual": (_drop("visual_feat"), r"missing key 'visual_feat' for the flagged "),
    "nan": (NAN_ROW, r"NaN or Inf in 'audio_feat' rows 3\.\."),
    "negative label": (_put("Label_ID", lambda x: np.where(np.arange(N) == 2, -3, x)),
                       r"label value -3 out of range \[0, 4\)"),
    "fractional label": (_put("Label_ID", lambda x: x + 0.5), "non-integer label values"),
    "not one-hot": (_put("Label_ID", lambda x: np.ones((N, C))),
                    r"'Label_ID' row 0 is not one-hot \(4 nonzero entries\)"),
    "label rank": (_put("Label_ID", lambda x: x[:, None, None]), r"'Label_ID' must be \(N,\)"),
    "unknown flag": (_put("Train_test", lambda x: np.where(np.arange(N) == 5, b"2", x)),
                     r"'Train_test' has unknown value '2' at row 5"),
    "unknown layout": (lambda a: {"foo": a["audio_feat"], "bar": a["Label_ID"]},
                       r"unknown layout \(found keys \['bar', 'foo'\]\); supported formats: "
                       r"flagged .* presplit .* ave-release"),
    "duplicate ids": (lambda a: {**a, "clip_id": np.array([b"x"] * N)},
                      r"clip ids are not unique \(e.g. 'x'\)"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_sources_are_named(tmp_path, name):
    change, message = BROKEN[name]
    path = save(tmp_path / "src.h5", change(flagged(source())))
    with pytest.raises(ValueError, match=message) as info:
        convert(tmp_path, path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "out.h5").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["src.h5"]


def test_presplit_missing_key_and_label_range_with_names(tmp_path):
    arrays = presplit(source())
    del arrays["lab_test"]
    with pytest.raises(ValueError, match="missing key 'lab_test' for the presplit layout"):
        convert(tmp_path, save(tmp_path / "a.h5", arrays))
    names = tmp_path / "names.txt"
    names.write_text("a\nb\nc\n")
    with pytest.raises(ValueError, match=r"label value 3 out of range \[0, 3\)"):
        convert(tmp_path, save(tmp_path / "b.h5", flagged(source())),
                class_names_file=str(names))
    with pytest.raises(ValueError, match="3 class names .* but labels have 4 classes"):
        convert(tmp_path, save(tmp_path / "c.h5", flagged(source(), one_hot=True)),
                class_names_file=str(names))


def test_not_hdf5_empty_and_missing(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("hello")
    with pytest.raises(ValueError, match="notes.h5: not an HDF5 or NPZ file; supported"):
        detect_format(text)
    empty = tmp_path / "empty.h5"
    empty.touch()
    with pytest.raises(ValueError, match="empty.h5: file is empty"):
        import_features(empty, tmp_path / "out.h5", ImportConfig())
    with pytest.raises(ValueError, match="nope.h5: file not found"):
        detect_format(tmp_path / "nope.h5")
    with pytest.raises(ValueError, match="not an AVE release folder: missing audio_feature.h5"):
        detect_format(tmp_path)


def test_bad_options(tmp_path):
    path = save(tmp_path / "src.h5", flagged(source()))
    for options, message in (({"chunk_rows": 0}, "--chunk-rows"), ({"val_fraction": 1.0},
                             "--val-fraction"), ({"classes": ["a", "a"]}, "twice")):
        with pytest.raises(ValueError, match=message):
            convert(tmp_path, path, **options)


@pytest.mark.parametrize("suffix", ["h5", "npz"])
def test_chunked_equals_single_chunk(tmp_path, suffix):
    src = source(n=53, t=2)
    path = save(tmp_path / f"src.{suffix}", flagged(src, one_hot=True))
    import_features(path, tmp_path / "one.h5", ImportConfig(chunk_rows=10_000))
    import_features(path, tmp_path / "many.h5", ImportConfig(chunk_rows=7, classes=None))
    one, many = read_dataset(tmp_path / "one.h5"), read_dataset(tmp_path / "many.h5")
    for key in ("audio", "visual", "label", "split", "clip_id"):
        np.testing.assert_array_equal(getattr(one, key), getattr(many, key))
    assert one.class_names == many.class_names


def test_failure_in_later_chunk_leaves_no_output(tmp_path):
    src = source()
    src["audio"][35, 2] = np.inf
    path = save(tmp_path / "src.h5", flagged(src))
    out = tmp_path / "out.h5"
    with pytest.raises(ValueError, match=r"NaN or Inf in 'audio_feat' rows 35\.\."):
        import_features(path, out, ImportConfig(chunk_rows=8))
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["src.h5"]


def test_existing_output_survives_a_failed_run(tmp_path):
    good = save(tmp_path / "good.h5", flagged(source()))
    out = tmp_path / "out.h5"
    import_features(good, out, ImportConfig())
    before = out.read_bytes()
    bad = source()
    bad["visual"][39] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        import_features(save(tmp_path / "bad.h5", flagged(bad)), out, ImportConfig(chunk_rows=4))
    assert out.read_bytes() == before


def test_progress_is_reported_per_chunk(tmp_path):
    progress = Recorder()
    path = save(tmp_path / "src.h5", flagged(source()))
    import_features(path, tmp_path / "out.h5", ImportConfig(chunk_rows=16), progress)
    assert progress.calls == [("start", N), ("advance", 16, ""), ("advance", 16, ""),
                              ("advance", 8, ""), ("stop",)]


def test_streaming_writer_matches_write_dataset(tmp_path, tiny):
    ds = tiny[0]
    write_dataset(ds, tmp_path / "whole.h5")
    with DatasetWriter(tmp_path / "streamed.h5", len(ds), ds.audio.shape[1], ds.visual.shape[1],
                       ds.class_names, ds.provenance, event_keys=EVENT_KEYS) as writer:
        for start in (200, 0, 100):  # any order, as long as every row is written once
            rows = slice(start, min(start + 100, len(ds)))
            writer.write(rows, ds.audio[rows], ds.visual[rows], ds.label[rows], ds.split[rows],
                         ds.clip_id[rows], audio_events=ds.audio_events[rows],
                         visual_events=ds.visual_events[rows])
    whole, streamed = read_dataset(tmp_path / "whole.h5"), read_dataset(tmp_path / "streamed.h5")
    for key in ("audio", "visual", "label", "split", "clip_id", "audio_events", "visual_events"):
        np.testing.assert_array_equal(getattr(whole, key), getattr(streamed, key))
    assert whole.provenance == streamed.provenance and whole.class_names == streamed.class_names
    with h5py.File(tmp_path / "whole.h5") as a, h5py.File(tmp_path / "streamed.h5") as b:
        assert dict(a.attrs) == dict(b.attrs) and set(a) == set(b)
        assert all(a[k].dtype == b[k].dtype and a[k].shape == b[k].shape for k in a)


@pytest.mark.parametrize("rows,message", [
    ((slice(0, 5),), "5 of 10 rows were never written"),
    ((slice(0, 10), slice(0, 5)), r"rows 0..4 written twice"),
    ((slice(0, 4),), r"bad row slice"),
])
def test_streaming_writer_rejects_bad_use(tmp_path, rows, message):
    rng = np.random.default_rng(0)
    out = tmp_path / "w.h5"
    with pytest.raises(ValueError, match=message):
        with DatasetWriter(out, 10, 3, 2, ["a", "b"], {}) as writer:
            for sl in rows:
                k = 5 if sl == slice(0, 4) else sl.stop - sl.start
                writer.write(sl, rng.normal(size=(k, 3)), rng.normal(size=(k, 2)),
                             np.arange(k) % 2, np.full(k, "train"),
                             np.array([f"c{sl.start + i}" for i in range(k)]))
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_presplit_ids_names_mismatch_and_pickled_npz(tmp_path):
    src = source()
    arrays = presplit(src)
    n_train, n_test = len(arrays["lab_train"]), len(arrays["lab_test"])
    arrays.update(clip_id_train=np.array([f"tr{i}" for i in range(n_train)]),
                  clip_id_test=np.array([f"te{i}" for i in range(n_test)]),
                  class_names=np.array(["a", "b", "c", "d"]))
    summary, ds = convert(tmp_path, save(tmp_path / "ids.npz", arrays))
    assert ds.clip_id[0] == "tr0" and ds.clip_id[-1] == f"te{n_test - 1}"
    assert set(summary) == {"format", "source", "out", "clips", "splits", "classes",
                            "class_names", "class_names_source", "audio_dim", "visual_dim",
                            "label_encoding", "pooling", "val_carved", "dropped"}
    names = tmp_path / "names.txt"
    names.write_text("a\nb\nc\nx\n")
    with pytest.raises(ValueError, match="class names in the file differ from"):
        convert(tmp_path, tmp_path / "ids.npz", class_names_file=str(names))
    arrays["clip_id_test"] = arrays["clip_id_test"][:-1]
    with pytest.raises(ValueError, match=rf"'clip_id_test' has shape \({n_test - 1},\), "
                                         rf"expected \({n_test},\)"):
        convert(tmp_path, save(tmp_path / "short.npz", arrays))
    arrays = presplit(src)
    arrays["visual_test"] = arrays["visual_test"][:, :2]
    with pytest.raises(ValueError, match="visual feature sizes differ between keys"):
        convert(tmp_path, save(tmp_path / "dims.h5", arrays))
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, **flagged(src, flag_kind="str"), clip_id=np.array([object()] * N))
    with pytest.raises(ValueError, match="pickled.npz: cannot read key 'clip_id'"):
        convert(tmp_path, pickled)


def test_split_words_are_accepted(tmp_path):
    src = source()
    words = np.where(src["flag"] == "1", b"train", b" Test")
    words[:4] = b"val"
    path = save(tmp_path / "src.h5", {**flagged(src, split_key="Split"), "Split": words})
    summary, ds = convert(tmp_path, path)
    assert ds.split[:4].tolist() == ["val"] * 4 and not summary["val_carved"]
    assert summary["splits"]["test"] == (src["flag"][4:] == "0").sum()
