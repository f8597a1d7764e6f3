"""Run under torchrun by test_distributed.py: train a student on the tiny benchmark and
save this rank's final weights and test mAP."""

import sys

import torch

from avili.data.synthetic import generate
from avili.eval.evaluate import evaluate_split
from avili.train.distill import train_student
from avili.train.distributed import rank
from tests.helpers import DDP_CFG, TINY

out = sys.argv[1]
ds, _ = generate(TINY)
result = train_student(ds, DDP_CFG)
torch.save({"state": result.model.state_dict(),
            "map": evaluate_split(result.model, ds, "test")["avg_mAP"]},
           f"{out}.rank{rank()}.pt")
