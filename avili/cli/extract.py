"""``avili extract``: the dataset from one of four sources (synthetic, published feature
files, raw videos, shards)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from avili.cli._common import (AudioBackbone, Cooccurrence, Device, DeviceOpt, Json, Overwrite,
                               Quiet, Seed, VisualBackbone, _emit, _outputs, _progress, command)
from avili.config import ImportConfig, SyntheticConfig, VideoConfig

Src = "Source"
Syn = "Synthetic"
Imp = "Feature files (--from)"
Vid = "Raw videos (--videos)"


@command("extract")
def extract(
    out: Annotated[Path, typer.Option(help="Dataset to write (HDF5).")],
    parts: Annotated[Optional[list[Path]], typer.Argument(
        help="With --merge: the dataset shards to join.", show_default=False)] = None,
    synthetic: Annotated[bool, typer.Option(
        help="Generate the built-in synthetic benchmark.", rich_help_panel=Src)] = False,
    source: Annotated[Optional[Path], typer.Option(
        "--from", help="Published feature file (HDF5/NPZ) or AVE release folder.",
        rich_help_panel=Src)] = None,
    videos: Annotated[Optional[Path], typer.Option(
        help="Folder of raw videos (needs avili[media]).", rich_help_panel=Src,
        file_okay=False)] = None,
    merge: Annotated[bool, typer.Option(
        "--merge", help="Join the dataset shards given as arguments.", rich_help_panel=Src)
    ] = False,
    num_classes: Annotated[Optional[int], typer.Option(
        help="Number of classes (default 15; planted regime only).", rich_help_panel=Syn,
        show_default=False)] = None,
    cooccurrence: Annotated[Cooccurrence, typer.Option(
        help="Where each clip's event set comes from: planted (random rules between "
             "classes) or audioset (one real AudioSet clip's label set over a shipped "
             "AudioSet class subset; the truth graph is the pairs that really co-occur).",
        rich_help_panel=Syn)] = Cooccurrence(SyntheticConfig.cooccurrence),
    label_sets: Annotated[Optional[Path], typer.Option(
        help="With --cooccurrence audioset: the label-set CSV to draw from, e.g. all 527 "
             "classes from 'python bench/make_audioset_subset.py --all-classes' (default: "
             "the shipped subset).", rich_help_panel=Syn, show_default=False)] = None,
    clips: Annotated[int, typer.Option(help="Number of clips.", rich_help_panel=Syn)] = 4000,
    rules: Annotated[Optional[int], typer.Option(
        help="Planted cross-class links (default: one per class).", rich_help_panel=Syn)] = None,
    absent_rate: Annotated[float, typer.Option(
        help="Share of clips whose annotated event is missing from one modality (off-screen "
             "sound, silent object).", rich_help_panel=Syn)] = 0.0,
    audio_dim: Annotated[int, typer.Option(help="Audio feature size.", rich_help_panel=Syn)] = 128,
    visual_dim: Annotated[int, typer.Option(help="Visual feature size.", rich_help_panel=Syn)
                          ] = 1024,
    planted_out: Annotated[Optional[Path], typer.Option(
        help="Planted graph (default: <out>.planted.npz).", rich_help_panel=Syn)] = None,
    orthogonal_prototypes: Annotated[bool, typer.Option(
        "--orthogonal-prototypes/--random-prototypes", rich_help_panel=Syn,
        help="Orthogonal class prototypes (no class pair confusable by construction) or "
             "i.i.d. Gaussian ones (some pairs overlap by chance).")] = True,
    classes: Annotated[Optional[list[str]], typer.Option(
        help="Keep only these classes, by name (comma-separated or repeated), in this order.",
        rich_help_panel=Imp)] = None,
    class_names: Annotated[Optional[Path], typer.Option(
        help="Text file, one class name per line, for sources without names.",
        rich_help_panel=Imp)] = None,
    val_fraction: Annotated[Optional[float], typer.Option(
        help="Val share: of all clips with --synthetic (default 0.15); carved from train "
             "(stratified) when an imported source has no val split (default 0.1).",
        rich_help_panel=Imp, show_default=False)] = None,
    test_fraction: Annotated[float, typer.Option(
        help="Test share of all clips.", rich_help_panel=Syn)] = SyntheticConfig.test_fraction,
    chunk_rows: Annotated[int, typer.Option(help="Rows read per chunk (bounds memory).",
                                            rich_help_panel=Imp)] = 512,
    labels: Annotated[Optional[Path], typer.Option(
        help="CSV: file,label[,split].", rich_help_panel=Vid)] = None,
    audio_backbone: Annotated[AudioBackbone, typer.Option(
        help="logmel (weight-free log-mel statistics) or hf (a transformers audio model "
             "such as AST or CLAP, from --audio-weights).",
        rich_help_panel=Vid)] = AudioBackbone(VideoConfig.audio_backbone),
    visual_backbone: Annotated[VisualBackbone, typer.Option(
        help="pixels (weight-free colour/texture summary) or hf (a transformers image "
             "model such as CLIP vision or ResNet, from --visual-weights).",
        rich_help_panel=Vid)] = VisualBackbone(VideoConfig.visual_backbone),
    audio_weights: Annotated[Optional[str], typer.Option(
        help="Hub id or local folder for from_pretrained.", rich_help_panel=Vid)] = None,
    visual_weights: Annotated[Optional[str], typer.Option(
        help="Hub id or local folder for from_pretrained.", rich_help_panel=Vid)] = None,
    fps: Annotated[float, typer.Option(help="Frames per second sampled.", rich_help_panel=Vid)
                   ] = VideoConfig.fps,
    start: Annotated[float, typer.Option(help="Window start, seconds.", rich_help_panel=Vid)
                     ] = 0.0,
    duration: Annotated[Optional[float], typer.Option(
        help="Window length, seconds (default: to the end).", rich_help_panel=Vid)] = None,
    keep_segments: Annotated[bool, typer.Option(
        help="Also keep per-second features.", rich_help_panel=Vid)] = False,
    batch_size: Annotated[int, typer.Option(help="Backbone batch size.", rich_help_panel=Vid)
                          ] = VideoConfig.batch_size,
    workers: Annotated[int, typer.Option(help="Parallel decoders.", rich_help_panel=Vid)] = 1,
    shard: Annotated[Optional[str], typer.Option(
        help="i/n: process one n-th of the files (merge shards with --merge).",
        rich_help_panel=Vid)] = None,
    strict: Annotated[bool, typer.Option(
        help="Fail if any video fails (default: skip and report).", rich_help_panel=Vid)] = False,
    device: DeviceOpt = Device.auto,
    seed: Seed = 0, quiet: Quiet = False, overwrite: Overwrite = False, as_json: Json = False,
) -> None:
    """Build an avili dataset (HDF5) from one of four sources.

    --synthetic generates the built-in benchmark with planted latent interactions (and its
    planted graph), or with real AudioSet co-occurrence (--cooccurrence audioset); --from
    converts published feature files (AVE/VEGAS HDF5 or NPZ, or the official AVE release
    folder), detecting the format; --videos decodes raw videos and embeds them (pip install
    'avili[media]'); --merge joins shards.

    Example: avili extract --synthetic --out demo.h5
    """
    modes = [name for name, on in (("--synthetic", synthetic), ("--from", source is not None),
                                   ("--videos", videos is not None), ("--merge", merge)) if on]
    if len(modes) != 1:
        from avili.errors import AviliError

        raise AviliError("say where the data comes from with exactly one of --synthetic, "
                         f"--from PATH, --videos DIR or --merge PART...; got "
                         f"{', '.join(modes) or 'none'}")
    if parts and not merge:
        from avili.errors import AviliError

        raise AviliError(f"unexpected argument {parts[0]} (only --merge takes file arguments)")
    _refuse_foreign_options(modes[0])
    if synthetic:
        if cooccurrence.value != "planted" and (num_classes, rules) != (None, None):
            from avili.errors import AviliError

            raise AviliError(f"--num-classes and --rules belong to --cooccurrence planted; "
                             f"{cooccurrence.value} fixes its classes and plants no rules")
        num_classes = SyntheticConfig.classes if num_classes is None else num_classes
        _extract_synthetic(out, SyntheticConfig(
            classes=num_classes, clips=clips, audio_dim=audio_dim, visual_dim=visual_dim,
            rules=rules, cooccurrence=cooccurrence.value,
            label_sets=str(label_sets) if label_sets else "",
            orthogonal_prototypes=orthogonal_prototypes, absent_rate=absent_rate,
            val_fraction=SyntheticConfig.val_fraction if val_fraction is None else val_fraction,
            test_fraction=test_fraction, seed=seed),
            planted_out, overwrite, as_json, quiet)
        return
    _outputs(overwrite, out)
    from avili import api
    from avili.cli.report import extract_line

    val_fraction = ImportConfig.val_fraction if val_fraction is None else val_fraction
    if source is not None:
        names = [n.strip() for item in classes or [] for n in item.split(",") if n.strip()]
        cfg = ImportConfig(classes=names or None, val_fraction=val_fraction, seed=seed,
                           class_names_file=None if class_names is None else str(class_names),
                           chunk_rows=chunk_rows)
        s = api.import_features(source, out, cfg, _progress(quiet))
    elif videos is not None:
        if labels is None:
            from avili.errors import AviliError

            raise AviliError("--videos needs --labels labels.csv (columns file,label[,split])")
        from avili.media.paths import report_path, segments_path

        _outputs(overwrite, report_path(out), segments_path(out) if keep_segments else None)
        cfg = VideoConfig(
            audio_backbone=audio_backbone.value, visual_backbone=visual_backbone.value,
            audio_weights=audio_weights, visual_weights=visual_weights, fps=fps, start=start,
            duration=duration, keep_segments=keep_segments, batch_size=batch_size,
            workers=workers, shard=shard, strict=strict, val_fraction=val_fraction, seed=seed,
            device=device.value)
        s = api.extract_videos(videos, labels, out, cfg, _progress(quiet))
    else:
        s = api.merge(parts or [], out, _progress(quiet))
    _emit(s, as_json, extract_line(modes[0], s))


SOURCE_OPTIONS = {  # parameter names that only one source reads
    "--synthetic": {"num_classes", "cooccurrence", "label_sets", "clips", "rules", "absent_rate",
                    "audio_dim", "visual_dim", "planted_out", "orthogonal_prototypes",
                    "test_fraction"},
    "--from": {"classes", "class_names", "chunk_rows"},
    "--videos": {"labels", "audio_backbone", "visual_backbone", "audio_weights",
                 "visual_weights", "fps", "start", "duration", "keep_segments", "batch_size",
                 "workers", "shard", "strict", "device"},
    "--merge": set(),
}
COMMON_OPTIONS = {"val_fraction", "seed"}  # read by every source but --merge


def _refuse_foreign_options(mode: str) -> None:
    """An option typed on the command line that ``mode`` does not read is an error, not
    silently ignored (e.g. --class-names with --synthetic)."""
    from avili.cli._common import given_options

    mine = SOURCE_OPTIONS[mode] | (COMMON_OPTIONS if mode != "--merge" else set())
    for name, flag in given_options().items():
        owner = next((m for m, names in SOURCE_OPTIONS.items() if name in names), None)
        if name not in mine and (owner or name in COMMON_OPTIONS):
            from avili.errors import AviliError

            where = f"belongs to {owner}" if owner else "is not read"
            raise AviliError(f"{flag} {where}; it has no effect with {mode}")


def _extract_synthetic(out: Path, cfg: SyntheticConfig, planted_out: Optional[Path],
                       overwrite: bool, as_json: bool, quiet: bool) -> None:
    from avili import api

    planted = planted_out or out.with_name(out.stem + ".planted.npz")
    _outputs(overwrite, out, planted)
    s = api.extract_synthetic(cfg, out, planted, _progress(quiet))
    _emit(s, as_json, f"wrote {out}: {s['clips']} clips, {s['classes']} classes (train "
                      f"{s['train']} / val {s['val']} / test {s['test']}); planted graph "
                      f"{planted} ({s['planted_links']} links)")
