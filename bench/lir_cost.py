"""LIR's cost per batch as the class count grows: every form, side by side with the plain
metric loss, in one run.

For each class count C and batch size B: a random batch (audio, visual (B, E) normalized,
labels (B,), soft labels (B, C)) and random links (2, C, C); time forward + backward of
SupCon alone and SupCon + each LIR form at weight 1 (graph weight 0.5). The forms gather
(2B, 2B) pair values from the (B, C) soft labels and (C, C) links, so their cost should
not grow with C beyond reading those inputs: O(B^2 + B C + C^2), not O(B^2 C).

Run: python bench/lir_cost.py [--classes 15 309 527] [--batch 128 512] [--repeats 20]
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

from avili.losses import StudentLoss, metric_loss

FORMS = ("graded", "eliminate", "pull", "pair")


def batch(b: int, c: int, e: int = 128, seed: int = 0) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    audio = torch.nn.functional.normalize(torch.randn(b, e, generator=g), dim=1)
    visual = torch.nn.functional.normalize(torch.randn(b, e, generator=g), dim=1)
    labels = torch.randint(0, c, (b,), generator=g)
    return (audio.requires_grad_(), visual.requires_grad_(), labels,
            torch.rand(b, c, generator=g), torch.rand(b, c, generator=g))


def seconds(loss: torch.nn.Module, inputs: tuple, repeats: int) -> float:
    """Median seconds of one forward + backward."""
    times = []
    for _ in range(repeats + 2):
        for t in inputs[:2]:
            t.grad = None
        start = time.perf_counter()
        loss(*inputs)["total"].backward()
        times.append(time.perf_counter() - start)
    return sorted(times[2:])[len(times[2:]) // 2]


def losses(c: int) -> dict[str, torch.nn.Module]:
    g = torch.Generator().manual_seed(1)
    event_links = torch.rand(2, c, c, generator=g)
    class_links = event_links.max(dim=0).values
    self_links = torch.rand(c, generator=g) > 0.5
    out = {"supcon (plain)": StudentLoss(metric_loss("supcon"))}
    for form in FORMS:
        out[f"supcon + {form}"] = StudentLoss(
            metric_loss("supcon"), form, 1.0, event_links=event_links,
            class_links=class_links, self_links=self_links, graph_weight=0.5)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, nargs="+", default=[15, 309, 527])
    parser.add_argument("--batch", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, torch "
          f"{torch.__version__}; median of {args.repeats} forward+backward, milliseconds")
    names = list(losses(2))
    print("| B | C | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for b in args.batch:
        for c in args.classes:
            inputs = batch(b, c)
            row = [f"{1000 * seconds(loss, inputs, args.repeats):.2f}"
                   for loss in losses(c).values()]
            print(f"| {b} | {c} | " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
