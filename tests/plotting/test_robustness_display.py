import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from numpy.testing import assert_allclose

from skmultimodal.plotting._robustness import ModalityRobustnessDisplay


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def results():
    """Three folds of both candidates on three subsets, and one data set's rows."""
    rows = []
    for available, one, dedicated in (("dsc", 0.60, 0.64), ("macro", 0.50, 0.52),
                                      ("dsc + macro", 0.70, 0.70)):
        for fold, shift in enumerate((-0.02, 0.0, 0.02)):
            for candidate, mean in (("one model", one), ("dedicated", dedicated)):
                for source, offset in (("all", 0.0), ("ham10000", 0.1)):
                    rows.append({
                        "candidate": candidate, "fold": fold, "available": available,
                        "source": source, "map": mean + shift + offset, "top1": 0.5,
                    })
    return pd.DataFrame(rows)


def test_subsets_in_the_papers_order_one_model_first(results):
    display = ModalityRobustnessDisplay.from_results(results)
    ticks = [tick.get_text() for tick in display.ax_.get_xticklabels()]
    assert ticks == ["macro", "dsc", "dsc + macro"]
    assert list(display.errorbars_) == ["one model", "dedicated"]
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["one model", "dedicated"]
    assert display.ax_.get_ylabel() == "mAP"
    assert "3 folds" in display.ax_.get_title()


def test_markers_are_the_fold_means_with_their_spread(results):
    display = ModalityRobustnessDisplay.from_results(results)
    line, _, (bars,) = display.errorbars_["dedicated"]
    x, y = np.asarray(line.get_data(), dtype=float)
    assert_allclose(y, [0.52, 0.64, 0.70])
    # Dedicated to the right of the one model, within each subset's slot.
    one_x = np.asarray(display.errorbars_["one model"][0].get_data()[0], dtype=float)
    assert np.all(x > one_x) and np.all(np.abs(x - [0, 1, 2]) < 0.5)
    segments = bars.get_segments()
    assert_allclose([s[1, 1] - s[0, 1] for s in segments], [0.04] * 3)  # 2 std of ±0.02
    # One dot per fold and candidate.
    scatters = [c for c in display.ax_.collections if isinstance(c, PathCollection)]
    dots = sum(len(c.get_offsets()) for c in scatters)
    assert dots == 3 * 3 * 2


def test_one_data_set_and_another_metric(results):
    display = ModalityRobustnessDisplay.from_results(results, source="ham10000")
    means = display.errorbars_["one model"][0].get_data()[1]
    assert_allclose(np.asarray(means, dtype=float), [0.6, 0.7, 0.8])
    display = ModalityRobustnessDisplay.from_results(results, metric="top1")
    assert display.ax_.get_ylabel() == "Top-1 Acc"


def test_one_model_alone_and_an_axes_given(results):
    _, ax = plt.subplots()
    alone = results[results["candidate"] == "one model"]
    display = ModalityRobustnessDisplay.from_results(alone, ax=ax)
    assert display.ax_ is ax
    assert list(display.errorbars_) == ["one model"]


def test_wrong_input_is_refused(results):
    with pytest.raises(ValueError, match="metric must be one of"):
        ModalityRobustnessDisplay.from_results(results, metric="accuracy")
    with pytest.raises(ValueError, match=r"lack the column\(s\) \['available'\]"):
        ModalityRobustnessDisplay.from_results(results.drop(columns="available"))
    with pytest.raises(ValueError, match="no scores for source 'isic'"):
        ModalityRobustnessDisplay.from_results(results, source="isic")
