"""Write avili/data/audioset_cooccurrence.csv, the real label sets behind the synthetic
generator's ``--cooccurrence audioset`` regime, from AudioSet's balanced training list.

Usage: python bench/make_audioset_subset.py [--data ../shared/data] [--out PATH]
       [--all-classes]

``--all-classes`` keeps every one of AudioSet's 527 classes instead (rules 1-5 skipped),
in the class index's order: AudioSet's own co-occurrence at full size, for
``avili extract --synthetic --cooccurrence audioset --label-sets PATH``.

Deterministic: the same two CSVs always give the same file. Class subset, by rule (all
rates over the 22,160 clips of the balanced list; containment(A in B) = share of A's clips
that also carry B):

1. AVE's 15 classes under their AudioSet names (Rodents/rats -> "Rodents, rats, mice",
   Infant cry -> "Baby cry, infant cry"); always kept.
2. Companions: every other class found together with some AVE class in at least 20 clips
   (the support a true pair needs), e.g. Speech, Music, Dog, Water, Meow.
3. Generic parents dropped: a companion that holds >= 75% of the clips of two or more AVE
   classes ("Vehicle", "Animal", "Domestic animals, pets") mostly restates which child is
   there. Music holds 98% of Acoustic guitar's clips but of no other AVE class: kept.
4. Aliases dropped: from the companion with the fewest clips up, one whose clips lie >= 90%
   inside another class still in the subset is dropped: it adds nothing that class does
   not say ("Railroad car, train wagon" inside "Train", "Guitar" inside "Music"). AVE
   classes are never dropped, even when nested in a companion (Train horn, 90% inside
   "Rail transport").
5. Every class kept must have at least 40 clips.

Then every clip with at least one subset class is written with its label set restricted
to the subset. Prints per-class clip counts and the pairs that really co-occur.
"""

from __future__ import annotations

import argparse
import csv
import io
from collections import Counter
from pathlib import Path

from avili.data.cooccurrence import MIN_CLIPS, MIN_LIFT, cooccurring_pairs, load_label_sets

ROOT = Path(__file__).resolve().parents[1]
AVE15 = ["Clock", "Motorcycle", "Train horn", "Bark", "Cat", "Bus", "Rodents, rats, mice",
         "Toilet flush", "Acoustic guitar", "Frying (food)", "Chainsaw", "Horse", "Helicopter",
         "Baby cry, infant cry", "Truck"]
PARENT_SHARE = 0.75  # rule 3
ALIAS_SHARE = 0.9  # rule 4
MIN_CLASS_CLIPS = 40  # rule 5
HEADER = """\
# AudioSet co-occurrence subset for avili's synthetic "audioset" regime
# (avili extract --synthetic --cooccurrence audioset).
# Derived from AudioSet (balanced_train_segments.csv, class_labels_indices.csv):
#   Gemmeke et al., "Audio Set: An ontology and human-labeled dataset for audio events",
#   ICASSP 2017. https://research.google.com/audioset/
#   AudioSet labels by Google LLC, licensed under CC BY 4.0
#   (https://creativecommons.org/licenses/by/4.0/).
# Changes: label sets restricted to the classes below; clips with none of them left out.
# Written by bench/make_audioset_subset.py; rerun it rather than editing this file.
# Class order: the lines below, each '# class,' then the AudioSet mid and display name.
"""


def read_audioset(data: Path) -> tuple[dict[str, str], list[tuple[str, list[str]]]]:
    """({mid: display name}, [(ytid, [mid, ...])]) from the two shared CSVs."""
    with open(data / "audioset_class_labels_indices.csv", newline="") as handle:
        names = {row["mid"]: row["display_name"] for row in csv.DictReader(handle)}
    clips = []
    with open(data / "audioset_balanced_train_segments.csv", newline="") as handle:
        for row in csv.reader((line for line in handle if not line.startswith("#")),
                              skipinitialspace=True):
            clips.append((row[0], row[3].split(",")))
    return names, clips


def select_classes(sets: list[set[str]]) -> list[str]:
    """The subset's display names (rules 1-5 of the module docstring), AVE's first."""
    count = Counter(name for s in sets for name in s)
    together = Counter((a, b) for s in sets for a in s for b in s if a != b)
    missing = [a for a in AVE15 if a not in count]
    if missing:
        raise SystemExit(f"AVE classes not in AudioSet: {missing}")
    companions = sorted({b for (a, b), n in together.items()
                         if a in AVE15 and b not in AVE15 and n >= MIN_CLIPS})

    def inside(a: str, b: str) -> float:
        return together[(a, b)] / count[a]

    companions = [b for b in companions
                  if sum(inside(a, b) >= PARENT_SHARE for a in AVE15) < 2]
    kept = AVE15 + companions
    for b in sorted(companions, key=lambda name: (count[name], name)):
        if any(inside(b, other) >= ALIAS_SHARE for other in kept if other != b):
            kept.remove(b)
    small = [name for name in kept if count[name] < MIN_CLASS_CLIPS]
    if small:
        raise SystemExit(f"classes with fewer than {MIN_CLASS_CLIPS} clips: {small}")
    return AVE15 + sorted(kept[len(AVE15):], key=lambda name: (-count[name], name))


def subset_csv(names: dict[str, str], clips: list[tuple[str, list[str]]],
               subset: list[str]) -> str:
    """The file's text: header, class lines, then one row per clip with a subset class."""
    mid_of = {name: mid for mid, name in names.items()}
    order = {name: k for k, name in enumerate(subset)}
    out = io.StringIO()
    out.write(HEADER)
    writer = csv.writer(out, lineterminator="\n")
    for name in subset:
        out.write("# ")
        writer.writerow(["class", mid_of[name], name])
    writer.writerow(["ytid", "labels"])
    for ytid, mids in clips:
        present = sorted({names[m] for m in mids} & order.keys(), key=order.get)
        if present:
            writer.writerow([ytid, ";".join(present)])
    return out.getvalue()


def report(path: Path) -> None:
    """Per-class clip counts and the true pairs of the written file."""
    sets = load_label_sets(path)
    counts = sets.member.sum(axis=0)
    print(f"{path}: {len(sets.clip_id)} clips, {len(sets.class_names)} classes")
    for name, n in sorted(zip(sets.class_names, counts), key=lambda t: -t[1]):
        print(f"  {n:5d}  {name}")
    pairs = cooccurring_pairs(sets.member)
    print(f"{len(pairs)} true pairs (lift > {MIN_LIFT:g}, >= {MIN_CLIPS} clips):")
    for p in sorted(pairs, key=lambda p: -p.clips):
        print(f"  {p.clips:4d} clips  lift {p.lift:6.1f}  "
              f"{sets.class_names[p.i]} + {sets.class_names[p.j]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "avili" / "data" /
                        "audioset_cooccurrence.csv")
    parser.add_argument("--all-classes", action="store_true",
                        help="keep all 527 classes (rules 1-5 skipped)")
    args = parser.parse_args()
    names, clips = read_audioset(args.data)
    subset = (list(names.values()) if args.all_classes
              else select_classes([{names[m] for m in mids} for _, mids in clips]))
    args.out.write_text(subset_csv(names, clips, subset), encoding="utf-8")
    report(args.out)


if __name__ == "__main__":
    main()
