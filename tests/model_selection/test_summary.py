import pandas as pd
import pytest

from skmultimodal.model_selection import format_summary, summarize


@pytest.fixture
def results():
    rows = []
    scores = {
        "dsc + macro + meta": [0.72, 0.74, 0.73],
        "macro": [0.58, 0.61, 0.60],
        "random forest meta": [0.40, 0.41, 0.39],
        "dsc": [0.66, 0.68, 0.67],
    }
    for candidate, values in scores.items():
        for fold, value in enumerate(values):
            rows.append({"candidate": candidate, "fold": fold, "split": "validation",
                         "top1": value + 0.1, "map": value, "auc_melanoma": 0.8,
                         "auc_cancer": value + 0.2})
            rows.append({"candidate": candidate, "fold": fold, "split": "test",
                         "top1": 0.5, "map": value - 0.05, "auc_melanoma": 0.7,
                         "auc_cancer": 0.6})
    return pd.DataFrame(rows)


def test_means_and_standard_deviations_by_hand(results):
    summary = summarize(results)
    assert summary.index.tolist() == ["macro", "dsc", "dsc + macro + meta",
                                      "random forest meta"]
    assert summary.loc["macro", ("mAP", "mean")] == pytest.approx((0.58 + 0.61 + 0.60) / 3)
    # Sample standard deviation (n - 1) of 0.72, 0.74, 0.73.
    assert summary.loc["dsc + macro + meta", ("mAP", "std")] == pytest.approx(0.01)
    assert summary.loc["dsc", ("Top-1 Acc", "mean")] == pytest.approx(0.77)
    test = summarize(results, split="test")
    assert test.loc["dsc", ("mAP", "mean")] == pytest.approx(0.62)


def test_markdown_marks_the_best_of_each_column(results):
    markdown = format_summary(summarize(results))
    lines = markdown.splitlines()
    assert lines[0] == "| candidate | Top-1 Acc | mAP | AUC melanoma | AUC cancer |"
    best = next(line for line in lines if line.startswith("| dsc + macro + meta"))
    assert "**0.730 (0.010)**" in best and "**0.830 (0.010)**" in best
    assert "| macro | 0.697 (0.015) | 0.597 (0.015) |" in markdown
    # A tie (every AUC melanoma is 0.8) marks every row.
    assert markdown.count("**0.800 (0.000)**") == 4


def test_latex_and_frame(results):
    latex = format_summary(summarize(results), "latex")
    assert latex.startswith("\\begin{tabular}{lcccc}")
    assert "\\textbf{0.730 (0.010)}" in latex
    frame = format_summary(summarize(results), "frame")
    assert frame.loc["dsc", "mAP"] == "0.670 (0.010)"
    assert frame.loc["dsc + macro + meta", "mAP"] == "0.730 (0.010) *"


def test_missing_split_is_explained(results):
    with pytest.raises(ValueError, match="no 'test' scores"):
        summarize(results[results["split"] == "validation"], split="test")
