"""Raw-video extraction throughput (clips/s) on this machine.

Generates N synthetic clips (H.264 video at 25 fps + AAC mono audio at 16 kHz, a colour
pattern and a tone per class), then runs ``extract_videos`` with:

  decode only        PyAV decoding alone (1 fps frames + 16 kHz mono audio), no backbone
  logmel + pixels    the weight-free backbones
  AST + pixels       an AST-base sized audio model (ASTConfig defaults, 10.24 s window),
                     random weights saved to a temporary folder
  logmel + CLIP      a CLIP ViT-B/32 sized vision model (random weights), one frame/s

each with ``workers`` 1 and 2 (decoding threads). Throughput counts the decode + embed
loop (model loading excluded); ``total s`` includes loading and writing.

Run: python bench/extract_benchmark.py [--clips 8] [--seconds 10] [--size 224]
     [--workers 1 2] [--no-hf] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import torch

from avili.config import VideoConfig
from avili.media.extract import extract_videos
from avili.media.decode import decode_clip
from avili.media.synth import write_tone_video

TONES = [(220.0, (200, 40, 40)), (660.0, (40, 200, 40)), (1500.0, (40, 40, 200)),
         (3000.0, (200, 200, 40))]


def make_videos(folder: Path, clips: int, seconds: float, size: int) -> Path:
    """Write the clips and a labels.csv (no split column); return the CSV path."""
    rows = []
    for i in range(clips):
        hz, colour = TONES[i % len(TONES)]
        write_tone_video(folder / f"clip{i:03d}.mp4", seconds, colour, hz, size=size, seed=i)
        rows.append(f"clip{i:03d}.mp4,class{i % len(TONES)}\n")
    csv = folder / "labels.csv"
    csv.write_text("file,label\n" + "".join(rows))
    return csv


def save_random_models(folder: Path) -> tuple[Path, Path]:
    """AST-base and CLIP ViT-B/32 vision, random weights, with default preprocessors."""
    import transformers as tf

    tf.utils.logging.set_verbosity_error()
    tf.utils.logging.disable_progress_bar()
    torch.manual_seed(0)
    ast, clip = folder / "ast", folder / "clip"
    tf.ASTModel(tf.ASTConfig()).save_pretrained(ast)
    tf.ASTFeatureExtractor().save_pretrained(ast)
    vision = tf.CLIPVisionConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                                 num_attention_heads=12, image_size=224, patch_size=32)
    tf.CLIPVisionModel(vision).save_pretrained(clip)
    tf.CLIPImageProcessor().save_pretrained(clip)
    return ast, clip


def decode_only(folder: Path, clips: int, workers: int) -> dict:
    paths = sorted(folder.glob("clip*.mp4"))[:clips]
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda p: decode_clip(p, 16000, 1.0, frame_size=(64, 64)), paths))
    seconds = time.perf_counter() - start
    return {"clips_per_s": len(paths) / seconds, "seconds": seconds}


def run(folder: Path, csv: Path, cfg: VideoConfig, name: str) -> dict:
    out = folder / f"{name}.h5"
    for stale in (out, out.with_name(out.name + ".report.json")):
        stale.unlink(missing_ok=True)
    s = extract_videos(folder, csv, out, cfg)
    return {"clips_per_s": s["clips_per_s"], "seconds": s["seconds"], "clips": s["clips"],
            "audio_dim": s["audio_dim"], "visual_dim": s["visual_dim"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-hf", action="store_true", help="skip the transformers rows")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        csv = make_videos(folder, args.clips, args.seconds, args.size)
        generate_s = time.perf_counter() - start
        base = VideoConfig(val_fraction=0.0, batch_size=16, device="cpu")
        setups = [("logmel + pixels", base)]
        if not args.no_hf:
            ast, clip = save_random_models(folder)
            setups += [("AST-base + pixels", replace(base, audio_backbone="hf",
                                                     audio_weights=str(ast))),
                       ("logmel + CLIP-B/32", replace(base, visual_backbone="hf",
                                                      visual_weights=str(clip)))]
        for workers in args.workers:
            rows.append({"setup": "decode only", "workers": workers,
                         **decode_only(folder, args.clips, workers)})
            for k, (name, cfg) in enumerate(setups):
                rows.append({"setup": name, "workers": workers,
                             **run(folder, csv, replace(cfg, workers=workers), f"r{k}w{workers}")})
    report(rows, args, generate_s)


def report(rows: list[dict], args: argparse.Namespace, generate_s: float) -> None:
    print(f"{args.clips} clips x {args.seconds:g} s, {args.size}x{args.size} H.264 25 fps + "
          f"AAC 16 kHz (generated in {generate_s:.1f} s); torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {platform.machine()}, "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{'setup':<20} {'workers':>7} {'clips/s':>8} {'total s':>8}")
    for r in sorted(rows, key=lambda r: (r["setup"] != "decode only", r["setup"], r["workers"])):
        print(f"{r['setup']:<20} {r['workers']:>7} {r['clips_per_s']:>8.2f} {r['seconds']:>8.1f}")
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                         "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
