from dataclasses import replace

import numpy as np
import pytest

from avili.config import TeachConfig
from avili.data.synthetic import generate
from avili.errors import AviliError
from avili.train.teach import harvest, train_teacher
from tests.helpers import TINY

FAST = TeachConfig(epochs=3, hidden=32, seed=0, device="cpu")


@pytest.fixture(scope="module")
def absent():
    return generate(replace(TINY, absent_rate=0.4, clips=480))[0]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["aligned", "independent", "fused"])
def test_modes_train_and_harvest(absent, mode):
    result = train_teacher(absent, replace(FAST, mode=mode))
    soft = result.soft
    assert soft.audio.shape == soft.visual.shape == (len(absent), absent.num_classes)
    if mode == "fused":  # one head: both modalities get the same prediction
        np.testing.assert_allclose(soft.audio, soft.visual)
    else:
        assert not np.allclose(soft.audio, soft.visual)
    assert ("align" in result.fit.history[0]) == (mode == "aligned")
    rows = np.arange(len(absent))
    for labels in (soft.audio_labels, soft.visual_labels):
        off_label = labels.copy()
        off_label[rows, absent.label] = 0
        assert not off_label.any()  # only the annotated class can be harvested
    assert set(soft.provenance["harvest"]["thresholds"]) == {"audio", "visual"}


@pytest.mark.slow
def test_harvest_thresholds_come_from_other_classes_val_scores(absent):
    soft = train_teacher(absent, FAST).soft
    audio, visual, thresholds = harvest(soft, absent, quantile=0.9)
    val = absent.indices("val")
    c = 1
    others = soft.audio[val][absent.label[val] != c, c]
    assert thresholds["audio"][c] == pytest.approx(np.quantile(others, 0.9), abs=1e-6)
    mine = absent.label == c
    np.testing.assert_array_equal(audio[mine, c], soft.audio[mine, c] > np.quantile(others, 0.9))
    strict = harvest(soft, absent, quantile=0.999)[0]
    assert strict.sum() <= audio.sum()


def test_unknown_mode_is_refused(absent):
    with pytest.raises(AviliError, match="unknown --mode"):
        train_teacher(absent, replace(FAST, mode="ensemble"))
