import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from skmultimodal import MetadataForestClassifier  # noqa: E402
from skmultimodal.plotting import (  # noqa: E402
    ConfusionMatricesDisplay,
    EmbeddingSearchDisplay,
    FeatureImportanceDisplay,
    MelanomaRocDisplay,
    MetricBoxPlotDisplay,
)

LABELS = ["bcc", "melanoma", "nevus"]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def predictions():
    """Out-of-fold predictions of two candidates: 'dsc' perfect, 'macro' noisy."""
    rng = np.random.RandomState(0)
    y = np.array(LABELS * 10)
    frames = []
    for candidate, noise in (("macro", 2.0), ("dsc", 0.0)):
        onehot = (np.array(LABELS) == y[:, None]).astype(float)
        logits = 3 * onehot + noise * rng.normal(size=onehot.shape)
        proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        frame = pd.DataFrame(proba, columns=[f"proba_{c}" for c in LABELS])
        frame.insert(0, "y_true", y)
        frame.insert(0, "index", [f"L{i}" for i in range(len(y))])
        frame.insert(0, "split", "validation")
        frame.insert(0, "fold", np.arange(len(y)) % 3)
        frame.insert(0, "candidate", candidate)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_roc_curves_one_per_candidate_with_auc_in_legend(predictions):
    display = MelanomaRocDisplay.from_comparison(predictions)
    assert list(display.lines_) == ["macro", "dsc"]  # the paper's order
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend[1] == "dsc (AUC 1.000)"
    assert legend[0].startswith("macro (AUC 0.")
    assert display.ax_.get_xlabel().startswith("False positive rate")
    x, y = display.lines_["dsc"].get_data()
    assert x[0] == 0 and y[-1] == 1


def test_box_plot_of_fold_scores():
    results = pd.DataFrame({
        "candidate": ["dsc"] * 3 + ["random forest meta"] * 3 + ["macro"] * 3,
        "split": "validation",
        "map": [0.7, 0.72, 0.68, 0.4, 0.41, 0.39, 0.6, 0.62, 0.58],
    })
    display = MetricBoxPlotDisplay.from_results(results)
    ticks = [t.get_text() for t in display.ax_.get_xticklabels()]
    assert ticks == ["macro", "dsc", "random forest meta"]
    assert display.ax_.get_ylabel() == "mAP"
    medians = [line.get_ydata()[0] for line in display.boxes_["medians"]]
    assert medians == pytest.approx([0.6, 0.7, 0.4])


def test_confusion_matrices_rows_sum_to_one(predictions):
    display = ConfusionMatricesDisplay.from_comparison(predictions)
    assert [ax.get_title() for ax in display.axes_.flat if ax.get_visible()] == ["macro", "dsc"]
    assert np.allclose(display.matrices["dsc"], np.eye(3))
    assert np.allclose(display.matrices["macro"].sum(axis=1), 1.0)
    ax = display.axes_.flat[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == LABELS
    assert ax.get_xlabel() == "Predicted" and ax.get_ylabel() == "True"


def test_feature_importances_of_the_forest():
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"dermoscopic": "x.jpg", "age": rng.normal(50, 10, 100),
                      "sex": rng.choice(["female", "male"], 100)})
    y = np.where(X["age"] > 50, "bcc", "nevus")
    forest = MetadataForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    display = FeatureImportanceDisplay.from_estimator(forest)
    labels = [t.get_text() for t in display.ax_.get_yticklabels()]
    assert labels == ["sex", "age"]  # image column left out, largest on top
    widths = [bar.get_width() for bar in display.bars_]
    assert widths == sorted(widths) and sum(widths) == pytest.approx(1.0)


def test_embedding_search_panels():
    results = pd.DataFrame({
        "candidate": ["dsc"] * 4 + ["macro"] * 4,
        "depth": [1, 1, 2, 2] * 2, "width": [64, 128] * 4,
        "map": np.linspace(0.5, 0.6, 8), "map_low": np.linspace(0.4, 0.5, 8),
        "map_high": np.linspace(0.6, 0.7, 8), "loss": np.linspace(1, 0.8, 8),
        "loss_low": np.linspace(0.9, 0.7, 8), "loss_high": np.linspace(1.1, 0.9, 8),
    })
    display = EmbeddingSearchDisplay.from_search(results)
    assert display.axes_.shape == (2, 2)
    assert display.axes_[0, 1].get_title() == "macro"
    assert display.axes_[1, 0].get_xlabel() == "Layer width"
    assert len(display.axes_[0, 0].get_legend().get_texts()) == 2
