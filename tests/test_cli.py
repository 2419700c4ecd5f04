import json
import os

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin

from skmultimodal import MetadataForestClassifier, MultimodalLesionClassifier, _cli
from skmultimodal.model_selection import modality_candidates

from .conftest import write_square

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


# -- the command line's checks, resume and data sets, with candidates that
# fit in milliseconds unless a test needs the preset's own nets ------------


class Prior(ClassifierMixin, BaseEstimator):
    """Predicts the training class frequencies."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y):
        self.classes_, counts = np.unique(y, return_counts=True)
        self.prior_ = counts / counts.sum()
        return self

    def predict_proba(self, X):
        return np.tile(self.prior_, (len(X), 1))


def metadata_net(device="auto"):
    return MultimodalLesionClassifier(
        modalities=("metadata",), embedding_dims=(8,), max_epochs=1, device=device,
        random_state=0,
    )


@pytest.fixture
def cheap(tiny, monkeypatch):
    """The command line with a forest, a prior and a metadata net as candidates."""

    def candidates(preset, weights, arguments):
        return {
            "random forest meta": MetadataForestClassifier(n_estimators=10, random_state=0),
            "prior": Prior(),
            "meta": metadata_net(arguments.device),
        }

    monkeypatch.setattr(_cli._compare, "_candidates", candidates)
    return tiny


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--cv", "1"], "argument --cv: must be at least 2, got 1"),
        (["--cv", "two"], "argument --cv: expected an integer, got 'two'"),
        (["--n-jobs", "0"], "argument --n-jobs: 0 would fit nothing"),
        (["--test-size", "1"], "argument --test-size: must be at least 0 and below 1"),
        (["--seed", "-1"], "argument --seed: must be at least 0"),
        (["--device", "gpu"], "argument --device: 'gpu' is not a device"),
        (["--dataset", "ham10000"], "argument --dataset: expected 'demo' or NAME:PATH"),
        (["--missing-images", "ignore"], "argument --missing-images: invalid choice"),
    ],
)
def test_malformed_arguments_exit_2_before_any_work(tiny, capsys, arguments, message):
    assert run(tiny, *arguments) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error
    assert not tiny.exists()  # nothing loaded, nothing written


def test_an_out_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "results").write_text("not a folder")
    assert run(tmp_path / "results") == 2
    error = capsys.readouterr().err
    assert "argument --out:" in error and "is a file" in error
    assert "Traceback" not in error


@pytest.mark.parametrize(
    "datasets, message",
    [
        (["demo", "ham10000:/data/ham"], "demo cannot be pooled"),
        (["ham10000:/a", "HAM10000:/b"], "gives ['ham10000'] more than once"),
        (["ham10000:/a", "ph2:/b"], "Unknown data set 'ph2'"),
    ],
)
def test_data_sets_are_checked_before_any_is_loaded(tiny, capsys, datasets, message):
    arguments = [option for spec in datasets for option in ("--dataset", spec)]
    assert run(tiny, *arguments) == 1
    assert message in capsys.readouterr().err
    assert not tiny.exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_device_this_machine_lacks_is_refused_before_writing(cheap, capsys):
    assert run(cheap, "--device", "cuda") == 1
    assert "CUDA is not available" in capsys.readouterr().err
    assert not (cheap / "settings.json").exists()


def test_a_candidate_missing_from_predictions_is_fitted_again(cheap):
    assert run(cheap) == 0
    predictions = pd.read_csv(cheap / "predictions.csv")
    # As if interrupted between writing results.csv and predictions.csv.
    predictions[predictions.candidate != "prior"].to_csv(
        cheap / "predictions.csv", index=False
    )
    assert run(cheap) == 0
    again = pd.read_csv(cheap / "predictions.csv")
    assert "prior" in set(again.candidate) and len(again) == len(predictions)
    runs = json.loads((cheap / "settings.json").read_text())["runs"]
    assert runs[-1]["fitted"] == ["prior"]


def test_results_without_settings_are_refused(cheap, capsys):
    assert run(cheap) == 0
    (cheap / "settings.json").unlink()
    assert run(cheap) == 1
    assert "holds results but no settings.json" in capsys.readouterr().err


def test_another_kind_of_device_is_refused_and_n_jobs_may_change(cheap, capsys):
    assert run(cheap, "--n-jobs", "1") == 0
    results = pd.read_csv(cheap / "results.csv")
    results[results.candidate != "prior"].to_csv(cheap / "results.csv", index=False)
    assert run(cheap, "--n-jobs", "2") == 0
    settings = json.loads((cheap / "settings.json").read_text())
    assert [run["n_jobs"] for run in settings["runs"]] == [1, 2]
    assert settings["device"] == ["cpu"] or torch.cuda.is_available()
    settings["device"] = ["mps"]  # as if started on another kind of device
    (cheap / "settings.json").write_text(json.dumps(settings))
    assert run(cheap) == 1
    assert "other settings (['device'])" in capsys.readouterr().err


# -- public data sets in their publishers' formats --------------------------

HAM_CLASSES = ["nv"] * 12 + ["mel"] * 6 + ["bcc"] * 6 + ["bkl"] * 6
PAD_CLASSES = ["NEV"] * 6 + ["MEL"] * 4 + ["BCC"] * 10 + ["SEK"] * 4


def write_ham10000(root):
    (root / "HAM10000_images_part_1").mkdir(parents=True)
    rows = []
    for i, dx in enumerate(HAM_CLASSES):
        image = f"ISIC_{i:07d}"
        age = 40.0 if dx == "nv" else 70.0
        rows.append([f"HAM_{i // 2:07d}", image, dx, "histo", age, "male", "back"])
        write_square(root / "HAM10000_images_part_1" / f"{image}.jpg", (150, 90, 60), 24)
    columns = ["lesion_id", "image_id", "dx", "dx_type", "age", "sex", "localization"]
    pd.DataFrame(rows, columns=columns).to_csv(root / "HAM10000_metadata.csv", index=False)
    return root


def write_pad_ufes20(root):
    (root / "images" / "imgs_part_1").mkdir(parents=True)
    rows = []
    for i, diagnostic in enumerate(PAD_CLASSES):
        image = f"PAT_{i}_{i}_{i}.png"
        rows.append(
            {"patient_id": f"PAT_{i}", "lesion_id": i, "img_id": image,
             "age": 40 if diagnostic == "NEV" else 72, "region": "ARM",
             "diagnostic": diagnostic, "biopsed": True,
             **dict.fromkeys(["itch", "grew", "hurt", "changed", "bleed", "elevation"],
                             "False")}
        )  # fmt: skip
        write_square(root / "images" / "imgs_part_1" / image, (200, 120, 100), 24)
    pd.DataFrame(rows).to_csv(root / "metadata.csv", index=False)
    return root


@pytest.fixture
def ham(tmp_path):
    return write_ham10000(tmp_path / "ham")


@pytest.fixture
def pad(tmp_path):
    return write_pad_ufes20(tmp_path / "pad")


def test_ham10000_runs_the_candidates_it_supports(tiny, ham, capsys):
    assert run(tiny, "--dataset", f"ham10000:{ham}") == 0
    printed = capsys.readouterr().out
    assert "Left out macro: no lesion has a clinical image." in printed
    left_out = json.loads((tiny / "settings.json").read_text())["left_out"]
    assert sorted(left_out) == sorted(
        f"{name}{variant}"
        for name in ("macro", "macro + meta", "dsc + macro", "dsc + macro + meta")
        for variant in ("", " (no embedding)")
    )
    results = pd.read_csv(tiny / "results.csv")
    assert set(results.candidate) == {
        "dsc", "dsc + meta", "meta", "dsc (no embedding)", "dsc + meta (no embedding)",
        "meta (no embedding)", "random forest meta",
    }  # fmt: skip


def test_the_same_arguments_on_changed_data_are_refused(cheap, ham, capsys):
    assert run(cheap, "--dataset", f"ham10000:{ham}") == 0
    table = pd.read_csv(ham / "HAM10000_metadata.csv")
    table.loc[0, "dx"] = "mel"  # the publisher corrected a diagnosis
    table.to_csv(ham / "HAM10000_metadata.csv", index=False)
    assert run(cheap, "--dataset", f"ham10000:{ham}") == 1
    assert "other settings (['data'])" in capsys.readouterr().err


def test_missing_images_may_be_dropped(cheap, ham, capsys):
    (ham / "HAM10000_images_part_1" / "ISIC_0000000.jpg").unlink()
    assert run(cheap, "--dataset", f"ham10000:{ham}") == 1
    assert "ISIC_0000000.jpg" in capsys.readouterr().err
    assert run(cheap, "--dataset", f"ham10000:{ham}", "--missing-images", "drop") == 0
    assert "warning: Left out 1 of the 30" in capsys.readouterr().err
    settings = json.loads((cheap / "settings.json").read_text())
    assert settings["n_lesions"] == 29 and settings["missing_images"] == "drop"


def test_pooled_data_sets_are_scored_together_and_each_alone(cheap, ham, pad, monkeypatch,
                                                             capsys):
    def candidates(preset, weights, arguments):
        net = MultimodalLesionClassifier(**preset["net"], random_state=0)
        return {
            **modality_candidates(
                net, forest="skip", embedding=(True,),
                combinations=[("dermoscopic",), ("clinical",), ("dermoscopic", "clinical")],
            ),
            "meta": metadata_net(),
            "random forest meta": MetadataForestClassifier(n_estimators=10, random_state=0),
        }  # fmt: skip

    monkeypatch.setattr(_cli._compare, "_candidates", candidates)
    assert run(cheap, "--dataset", f"ham10000:{ham}", "--dataset", f"pad_ufes20:{pad}",
               "--test-size", "0.25") == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "Left out dsc: 24 lesions (pad_ufes20) have no dermoscopic image." in printed
    assert "Left out macro: 30 lesions (ham10000) have no clinical image." in printed
    results = pd.read_csv(cheap / "results.csv")
    # Every lesion has one of its images: the net learns from either.
    assert set(results.candidate) == {"dsc + macro", "meta", "random forest meta"}
    assert list(dict.fromkeys(results.source)) == ["all", "ham10000", "pad_ufes20"]
    per_source = results.pivot_table(
        index=["candidate", "fold", "split"], columns="source", values="n_scored"
    )
    assert (per_source["ham10000"] + per_source["pad_ufes20"] == per_source["all"]).all()
    settings = json.loads((cheap / "settings.json").read_text())
    assert settings["sources"] == {"ham10000": 30, "pad_ufes20": 24}
    table = (cheap / "table.md").read_text()
    assert table.count("## ") == 6  # validation and test; all, and each data set
    assert "; pad_ufes20 lesions only" in table


# -- pretrain, compare --weights, --save-models, robustness --------------------


def test_pretrain_exports_a_tower_that_compare_starts_from(tiny, tmp_path, capsys):
    towers = tmp_path / "towers"
    assert _cli.main([
        "pretrain", "--backbone", "shufflenet_v2_x0_5", "--weights", "none",
        "--image-size", "16", "--epochs", "1", "--batch-size", "16",
        "--out", str(towers),
    ]) == 0
    printed = capsys.readouterr().out
    assert "mAP" in printed or "map" in printed
    assert (towers / "dermoscopic.safetensors").exists()
    assert json.loads((towers / "pretraining.json").read_text())["n_test"] > 0

    def candidates(preset, weights, arguments):
        net = MultimodalLesionClassifier(
            **{**preset["net"], "weights": weights}, random_state=0
        )
        return modality_candidates(net, forest="skip", embedding=(True,),
                                   combinations=[("dermoscopic", "clinical")])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_cli._compare, "_candidates", candidates)
        assert run(tiny, "--weights", str(towers), "--substitute", "dermoscopic",
                   "--save-models") == 0
    settings = json.loads((tiny / "settings.json").read_text())
    weights = settings["net"]["weights"]
    assert weights == {m: str(towers / "dermoscopic.safetensors")
                       for m in ("dermoscopic", "clinical")}
    from skmultimodal import load_model

    model = load_model(tiny / "models" / "dsc_macro.skmodel")
    assert model.modalities_ == ("dermoscopic", "clinical")


def test_a_weights_folder_that_does_not_exist_is_a_usage_error(tiny, capsys):
    assert run(tiny, "--weights", str(tiny / "nowhere")) == 2
    assert "argument --weights" in capsys.readouterr().err


def test_robustness_writes_its_table_and_figure(tiny, capsys):
    out = tiny.parent / "robustness"
    assert _cli.main(["robustness", "--cv", "2", "--no-dedicated", "--no-progress",
                      "--out", str(out)]) == 0
    assert {"results.csv", "predictions.csv", "table.md", "robustness.png"} <= set(
        os.listdir(out)
    )
    results = pd.read_csv(out / "results.csv")
    assert {"candidate", "fold", "available", "top1", "map", "auc_melanoma",
            "auc_cancer"} <= set(results.columns)
    assert "dsc + macro + meta" in set(results.available)
    assert "dsc + macro" in capsys.readouterr().out
