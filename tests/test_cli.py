import json
import os

import pandas as pd
import pytest

from skmultimodal import MultimodalLesionClassifier, _cli

# The quick preset shrunk to seconds: a small backbone, tiny images, one
# epoch, 40 lesions.
TINY = {
    "net": {"backbone": "shufflenet_v2_x0_5", "weights": None, "image_size": 16,
            "embedding_dims": (16,), "max_epochs": 1, "batch_size": 16, "lr": 1e-3},
    "forest": {"n_estimators": 20},
    "demo": {"n_samples": 40, "image_size": 24},
}


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    monkeypatch.setitem(_cli.PRESETS, "quick", TINY)
    monkeypatch.setenv("SKMULTIMODAL_DATA", str(tmp_path / "data"))
    return tmp_path / "out"


def run(out, *extra):
    return _cli.main(["compare", "--cv", "2", "--out", str(out), "--no-progress", *extra])


def test_compare_writes_results_table_figures_and_settings(tiny, capsys):
    assert run(tiny, "--test-size", "0.25") == 0
    names = set(os.listdir(tiny))
    assert {"results.csv", "predictions.csv", "table.md", "table.tex", "settings.json",
            "roc_melanoma.png", "map_boxplot.png", "confusion_matrices.png",
            "forest_importances.png"} <= names
    results = pd.read_csv(tiny / "results.csv")
    assert results["candidate"].nunique() == 15  # 7 combinations x 2 heads + forest
    assert set(results["split"]) == {"validation", "test"}
    settings = json.loads((tiny / "settings.json").read_text())
    assert settings["seed"] == 0 and settings["versions"]["torch"]
    assert settings["net"]["backbone"] == "shufflenet_v2_x0_5"
    table = (tiny / "table.md").read_text()
    assert "| dsc + macro + meta |" in table and "| random forest meta |" in table
    printed = capsys.readouterr().out
    assert "Top-1 Acc" in printed and "dsc + macro + meta" in printed


def test_an_interrupted_study_resumes_without_refitting(tiny, monkeypatch):
    fit = MultimodalLesionClassifier.fit
    calls = []

    def interrupted(self, X, y, groups=None):
        calls.append(self.modalities)
        if len(calls) > 5:
            raise KeyboardInterrupt
        return fit(self, X, y, groups)

    monkeypatch.setattr(MultimodalLesionClassifier, "fit", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(tiny)
    # Two candidates (2 folds each) were saved before the interruption.
    saved = pd.read_csv(tiny / "results.csv")
    assert list(saved["candidate"].unique()) == ["macro", "macro + meta"]

    calls.clear()

    def counted(self, X, y, groups=None):
        calls.append((self.modalities, self.embedding_dims))
        return fit(self, X, y, groups)

    monkeypatch.setattr(MultimodalLesionClassifier, "fit", counted)
    assert run(tiny) == 0
    assert (("clinical",), (16,)) not in calls
    assert (("clinical", "metadata"), (16,)) not in calls
    assert (("clinical",), ()) in calls  # "macro (no embedding)" was still to do
    assert len(calls) == 2 * 12  # the twelve nets left, two folds each
    results = pd.read_csv(tiny / "results.csv")
    assert results.groupby("candidate").size().eq(2).all()
    assert results["candidate"].nunique() == 15


def test_other_settings_do_not_mix_with_earlier_results(tiny, capsys):
    assert run(tiny) == 0
    assert run(tiny, "--seed", "1") == 1
    assert "other settings (['seed'])" in capsys.readouterr().err


def test_python_dash_m_and_bad_dataset(tiny, capsys):
    assert _cli.main(["compare", "--dataset", "nosuchset:/tmp", "--out", str(tiny)]) == 1
    assert "nosuchset" in capsys.readouterr().err
