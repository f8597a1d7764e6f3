"""``avili extract --videos``: decode raw videos, embed them, write an avili dataset.

Outputs, each written atomically (callers decide whether existing files may be replaced):

- ``out``: the dataset (:mod:`avili.data.schema`); audio and visual features are the mean
  over time of the per-segment features: (N, Da) and (N, Dv) float32.
- ``<out>.report.json`` (e.g. ``data.h5.report.json``): every file of the shard that was
  skipped, with the reason. Always written, possibly with an empty list.
- ``<out stem>.segments.npz`` (only with ``keep_segments``): ``audio_segments``
  (N, Ta, Da) and ``visual_segments`` (N, Tv, Dv) float32, NaN past each clip's length;
  ``audio_lengths``, ``visual_lengths`` (N,) int64; ``clip_id`` (N,) str in dataset row
  order; ``audio_segment_seconds`` and ``visual_segment_seconds`` scalars.

Segments: audio segments last ``segment_samples / sample_rate`` seconds (1 s for
``logmel``; an ``hf`` model's own window); visual segments are the frames sampled at
``fps``. A file that cannot be decoded (corrupt, empty, no audio or no video stream,
nothing in the time window) is skipped; the run fails only when every file of the shard
fails, or on the first failure with ``strict``.

Sharding: ``shard="i/n"`` keeps the CSV rows whose index % n == i. Splits and class
names come from the whole CSV, so every shard is a complete dataset with the same classes.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import torch

from avili.artifacts import atomic_output, provenance
from avili.config import VideoConfig
from avili.data.schema import SPLITS, Dataset, write_dataset
from avili.errors import AviliError
from avili.media.backbones import (AudioBackbone, VisualBackbone, create_audio_backbone,
                                   create_visual_backbone)
from avili.media.decode import Clip, DecodeFailure, decode_clip, require_av
from avili.media.paths import report_path, segments_path
from avili.media.labels import LabelTable, parse_shard, read_labels, shard_rows
from avili.progress import NullProgress, Progress
from avili.train.loop import resolve_device

PathLike = str | os.PathLike


@dataclass
class _Embedded:
    """Kept table rows in order, their (T_i, Da) / (F_i, Dv) segment features (T_i = F_i = 1,
    the clip mean, without ``keep_segments``), and the skipped files as report entries."""

    rows: list[int] = field(default_factory=list)
    audio: list[np.ndarray] = field(default_factory=list)
    visual: list[np.ndarray] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)


def extract_videos(videos_dir: PathLike, labels_csv: PathLike, out: PathLike,
                   cfg: VideoConfig, progress: Progress | None = None) -> dict[str, Any]:
    """Decode and embed the videos ``labels_csv`` lists (for ``cfg.shard``); write the
    dataset to ``out`` plus its skip report and, with ``keep_segments``, its segments.

    Returns a summary: paths, clips written, skipped files, per-split counts, feature
    sizes, backbones, wall ``seconds`` and ``clips_per_s`` (decode + embed loop only).
    """
    started = time.perf_counter()
    table = read_labels(labels_csv, videos_dir, cfg.val_fraction, cfg.seed)
    rows = shard_rows(len(table), cfg.shard)
    if rows.size == 0:
        raise AviliError(f"shard {cfg.shard} holds none of the {len(table)} videos", labels_csv)
    require_av()
    device = resolve_device(cfg.device)
    torch.manual_seed(cfg.seed)
    audio_bb = create_audio_backbone(cfg, device)
    visual_bb = create_visual_backbone(cfg, device)
    loop_start = time.perf_counter()
    emb = _embed_rows(table, rows, cfg, audio_bb, visual_bb, progress or NullProgress())
    loop_seconds = time.perf_counter() - loop_start
    report = _write_report(out, labels_csv, videos_dir, cfg, rows.size, emb)
    if not emb.rows:
        first = emb.skipped[0]
        raise AviliError(f"none of the {rows.size} videos could be used (first: "
                         f"{first['file']}: {first['reason']}); see {report}", labels_csv)
    record = _provenance(cfg, labels_csv, videos_dir, table, rows, emb, audio_bb, visual_bb,
                         device)
    ds = _dataset(table, emb, record)
    write_dataset(ds, out)
    segments = _write_segments(out, ds.clip_id, emb, audio_bb, cfg) if cfg.keep_segments else None
    return {"out": str(out), "report": str(report),
            "segments": None if segments is None else str(segments),
            "clips": len(ds), "listed": len(table), "in_shard": int(rows.size),
            "skipped": emb.skipped, "splits": {s: int((ds.split == s).sum()) for s in SPLITS},
            "split_source": table.split_source, "classes": ds.num_classes,
            "audio_dim": int(ds.audio.shape[1]), "visual_dim": int(ds.visual.shape[1]),
            "audio_backbone": audio_bb.identity(), "visual_backbone": visual_bb.identity(),
            "device": str(device), "seconds": time.perf_counter() - started,
            "clips_per_s": len(ds) / max(loop_seconds, 1e-9)}


def embed_media_file(path: PathLike, cfg: VideoConfig) -> tuple[np.ndarray, np.ndarray]:
    """One media file's clip-level features as ``extract --videos`` computes them with
    ``cfg``: (Da,) audio and (Dv,) visual float32, the means over segments."""
    require_av()
    device = resolve_device(cfg.device)
    audio_bb, visual_bb = create_audio_backbone(cfg, device), create_visual_backbone(cfg, device)
    try:
        clip = decode_clip(path, audio_bb.sample_rate, cfg.fps, cfg.start, cfg.duration,
                           visual_bb.frame_size)
    except DecodeFailure as failure:
        raise AviliError(f"cannot use this media file: {failure.reason}", path) from None
    audio = audio_bb.embed_clips([clip.audio])[0].mean(axis=0)
    visual = visual_bb.embed(clip.frames).mean(axis=0)
    if not (np.isfinite(audio).all() and np.isfinite(visual).all()):
        raise AviliError("the backbones gave non-finite features", path)
    return audio.astype(np.float32), visual.astype(np.float32)


def _embed_rows(table: LabelTable, rows: np.ndarray, cfg: VideoConfig, audio_bb: AudioBackbone,
                visual_bb: VisualBackbone, progress: Progress) -> _Embedded:
    """Decode in a thread pool (in CSV order), embed in chunks of ``batch_size`` clips."""
    def decode(path: Path) -> Clip | DecodeFailure:
        try:
            return decode_clip(path, audio_bb.sample_rate, cfg.fps, cfg.start, cfg.duration,
                               visual_bb.frame_size)
        except DecodeFailure as failure:
            return failure

    emb, chunk, done = _Embedded(), [], 0
    embed = lambda part: _embed_chunk(part, table, cfg, audio_bb, visual_bb, emb)  # noqa: E731
    started = time.perf_counter()
    progress.start("extract", int(rows.size))
    try:
        with contextlib.closing(_decoded(decode, table, rows, cfg)) as results:
            for row, clip in results:
                if isinstance(clip, DecodeFailure):
                    _skip(emb, table, row, clip.reason, cfg.strict)
                    finished = 1
                else:
                    chunk.append((row, clip))
                    if len(chunk) < cfg.batch_size:
                        continue
                    finished, chunk = len(embed(chunk)), []
                done += finished
                progress.advance(finished, _rate(done, started))
            if chunk:
                done += len(embed(chunk))
                progress.advance(len(chunk), _rate(done, started))
    finally:
        progress.stop()
    return emb


def _decoded(decode: Callable[[Path], Any], table: LabelTable, rows: np.ndarray,
             cfg: VideoConfig) -> Iterator[tuple[int, Any]]:
    """(row, Clip or DecodeFailure) in row order; ``workers`` threads decode ahead (PyAV
    releases the GIL while FFmpeg decodes)."""
    workers = cfg.workers
    lookahead = cfg.batch_size + 2 * workers
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="avili-decode")
    pending: collections.deque = collections.deque()
    try:
        for row in rows.tolist():
            pending.append((row, pool.submit(decode, table.files[row])))
            if len(pending) >= lookahead:
                row_done, future = pending.popleft()
                yield row_done, future.result()
        while pending:
            row_done, future = pending.popleft()
            yield row_done, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _embed_chunk(chunk: list[tuple[int, Clip]], table: LabelTable, cfg: VideoConfig,
                 audio_bb: AudioBackbone, visual_bb: VisualBackbone, emb: _Embedded
                 ) -> list[int]:
    """Embed a chunk of decoded clips into ``emb``; returns the chunk's rows."""
    rows = [row for row, _ in chunk]
    clips = [clip for _, clip in chunk]
    audio = audio_bb.embed_clips([c.audio for c in clips])
    frames = [f for c in clips for f in c.frames]
    step = cfg.batch_size
    flat = np.concatenate([visual_bb.embed(frames[i:i + step])
                           for i in range(0, len(frames), step)])
    visual = np.split(flat, np.cumsum([len(c.frames) for c in clips])[:-1])
    for row, a, v in zip(rows, audio, visual):
        if not (np.isfinite(a).all() and np.isfinite(v).all()):
            _skip(emb, table, row, "the backbone gave non-finite features", cfg.strict)
            continue
        if not cfg.keep_segments:  # only the clip means are needed: keep memory per clip small
            a, v = a.mean(axis=0, keepdims=True), v.mean(axis=0, keepdims=True)
        emb.rows.append(row)
        emb.audio.append(a.astype(np.float32))
        emb.visual.append(v.astype(np.float32))
    return rows


def _skip(emb: _Embedded, table: LabelTable, row: int, reason: str, strict: bool) -> None:
    if strict:
        raise AviliError(f"{reason} (strict mode stops at the first unusable video)",
                         table.files[row])
    emb.skipped.append({"file": str(table.clip_id[row]), "path": str(table.files[row]),
                        "reason": reason})


def _rate(done: int, started: float) -> str:
    return f"{done / max(time.perf_counter() - started, 1e-9):.1f} clips/s"


def _dataset(table: LabelTable, emb: _Embedded, record: dict) -> Dataset:
    """Clip-level features: each clip's segment features averaged over time."""
    kept = np.array(emb.rows, dtype=np.int64)
    return Dataset(audio=np.stack([a.mean(axis=0) for a in emb.audio]).astype(np.float32),
                   visual=np.stack([v.mean(axis=0) for v in emb.visual]).astype(np.float32),
                   label=table.label[kept], split=table.split[kept],
                   clip_id=table.clip_id[kept], class_names=list(table.class_names),
                   provenance=record)


def _provenance(cfg: VideoConfig, labels_csv: PathLike, videos_dir: PathLike,
                table: LabelTable, rows: np.ndarray, emb: _Embedded, audio_bb: AudioBackbone,
                visual_bb: VisualBackbone, device: torch.device) -> dict:
    index, count = parse_shard(cfg.shard)
    splits = {"source": table.split_source}
    if table.split_source == "carved":
        splits.update(val_fraction=cfg.val_fraction, test_fraction=cfg.val_fraction,
                      seed=cfg.seed, rule="per class, clips sorted by id then permuted")
    return provenance("dataset", cfg, {"labels": labels_csv}, seed=cfg.seed, source="videos",
                      videos_dir=os.fspath(videos_dir), device=str(device),
                      backbones={"audio": audio_bb.identity(), "visual": visual_bb.identity()},
                      splits=splits, listed=len(table),
                      shard={"index": index, "count": count, "rule": "row % count == index",
                             "rows": int(rows.size)},
                      skipped=[s["file"] for s in emb.skipped])


def _write_report(out: PathLike, labels_csv: PathLike, videos_dir: PathLike, cfg: VideoConfig,
                  in_shard: int, emb: _Embedded) -> Path:
    path = report_path(out)
    record = {"out": os.fspath(out), "labels": os.fspath(labels_csv),
              "videos_dir": os.fspath(videos_dir), "shard": cfg.shard or "0/1",
              "in_shard": in_shard, "written": len(emb.rows), "skipped": emb.skipped}
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def _write_segments(out: PathLike, clip_id: np.ndarray, emb: _Embedded,
                    audio_bb: AudioBackbone, cfg: VideoConfig) -> Path:
    path = segments_path(out)
    arrays = {"audio_segments": _pad(emb.audio), "visual_segments": _pad(emb.visual),
              "audio_lengths": np.array([len(a) for a in emb.audio], np.int64),
              "visual_lengths": np.array([len(v) for v in emb.visual], np.int64),
              "clip_id": np.asarray(clip_id, dtype=str),
              "audio_segment_seconds": np.float64(audio_bb.segment_samples / audio_bb.sample_rate),
              "visual_segment_seconds": np.float64(1.0 / cfg.fps)}
    with atomic_output(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)
    return path


def _pad(parts: list[np.ndarray]) -> np.ndarray:
    """List of (T_i, D) to (N, max T_i, D) float32, NaN past each length."""
    out = np.full((len(parts), max(len(p) for p in parts), parts[0].shape[1]), np.nan,
                  np.float32)
    for i, part in enumerate(parts):
        out[i, :len(part)] = part
    return out
