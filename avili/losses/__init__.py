"""Losses, each a small module returning a dict of named terms.

``METRIC_LOSSES`` maps ``avili distill --loss`` names to classes.
"""

from avili.losses.alignment import SoftLabelAlignment  # noqa: F401
from avili.losses.lir import LatentInteractionRegularizer, lir_pair_weights  # noqa: F401
from avili.losses.triplet import CrossModalBatchHardTriplet

METRIC_LOSSES = {"triplet": CrossModalBatchHardTriplet}
