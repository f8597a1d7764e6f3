"""Mixed precision (``--amp``) and TF32 matmuls (``--tf32``) for training on CUDA.

``--amp bf16`` or ``fp16`` runs each training step's forward pass and loss under
``torch.autocast`` on CUDA; fp16 also scales the loss (``torch.amp.GradScaler``, whose
state a resume restores) so small gradients do not underflow. Validation, calibration and
prediction stay in float32, so epoch selection sees full-precision scores. ``--amp`` on
the CPU is refused with one line rather than ignored: CPU autocast is slow and changes
the numbers, which is never what a CPU run wants. ``--tf32`` lets CUDA matmuls and
convolutions use TF32 in each training step (restored after it); on the CPU it is a
no-op, since the CPU has no TF32. What was in effect is recorded in the provenance
(:meth:`Precision.describe`, under ``training``) beside the config's ``amp``/``tf32``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Iterator

import torch

from avili.errors import AviliError

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass
class Precision:
    """How a training step runs: ``amp`` (off, bf16, fp16) on ``device``, TF32 or not."""

    amp: str = "off"
    tf32: bool = False
    device: torch.device = torch.device("cpu")
    scaler: Any = field(default=None, repr=False)  # fp16 only

    def autocast(self) -> Any:
        """A context running its body under autocast, or doing nothing (amp off)."""
        if self.amp == "off":
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=DTYPES[self.amp])

    def backward(self, total: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        """Backpropagate ``total`` and step ``optimizer`` (through the scaler for fp16)."""
        if self.scaler is None:
            total.backward()
            optimizer.step()
            return
        self.scaler.scale(total).backward()
        self.scaler.step(optimizer)
        self.scaler.update()

    @contextlib.contextmanager
    def matmuls(self) -> Iterator[None]:
        """TF32 matmuls and convolutions on CUDA inside, when asked; restored after."""
        if not (self.tf32 and self.device.type == "cuda"):
            yield
            return
        before = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        try:
            yield
        finally:
            torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before

    def describe(self) -> dict[str, Any]:
        """What was in effect, for the provenance: ``amp`` and whether TF32 was used."""
        return {"amp": self.amp, "tf32": self.tf32 and self.device.type == "cuda"}


def create_precision(amp: str, tf32: bool, device: torch.device) -> Precision:
    """The :class:`Precision` of a run on ``device``; ``amp`` (one of
    :data:`avili.config.AMP_MODES`, checked by the config) other than off needs CUDA."""
    if amp != "off" and device.type != "cuda":
        raise AviliError(f"--amp {amp} needs CUDA, but training runs on the {device.type}; "
                         "drop --amp (the CPU trains in float32) or pass --device cuda")
    scaler = torch.amp.GradScaler("cuda") if amp == "fp16" else None
    return Precision(amp, tf32, device, scaler)
