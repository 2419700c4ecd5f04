"""modality_robustness: one net scored with each subset of its modalities.

The nets here use a tiny convolutional tower, so that a fit takes a fraction
of a second and the tests measure the evaluation's own logic; the lesions
are built so that the right scores are known.
"""

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config
from numpy.testing import assert_allclose, assert_array_equal
from PIL import Image

from skmultimodal import MultimodalLesionClassifier
from skmultimodal.datasets import concat_lesions
from skmultimodal.metrics import lesion_scores
from skmultimodal.model_selection import summarize
from skmultimodal.model_selection._robustness import (
    RESULT_COLUMNS,
    modality_robustness,
    run_robustness,
)
from skmultimodal.model_selection._summary import (
    format_robustness,
    summarize_robustness,
)

from ..conftest import FAST_NET, small_tower

TOY = {
    "backbone": small_tower(), "weights": "DEFAULT", "embedding_dims": (16,),
    "max_epochs": 25, "batch_size": 16, "lr": 1e-2, "augment": False,
}
BOTH_IMAGES = ("dermoscopic", "clinical")
EVERY_SUBSET = ["macro", "macro + meta", "dsc", "dsc + meta", "dsc + macro",
                "dsc + macro + meta", "meta"]


class RecordingNet(MultimodalLesionClassifier):
    """The fusion net, recording what each fit got and what it was asked to predict."""

    fits: ClassVar[list] = []
    predicted: ClassVar[list] = []

    def fit(self, X, y, groups=None):
        type(self).fits.append(
            {"modalities": tuple(self.modalities), "modality_dropout": self.modality_dropout,
             "n_train": len(X), "index": X.index}
        )
        return super().fit(X, y, groups=groups)

    def predict_proba(self, X):
        type(self).predicted.append((tuple(self.modalities), X.copy()))
        return super().predict_proba(X)


def toy_net(**params):
    return RecordingNet(**{**FAST_NET, **TOY, **params})


@pytest.fixture(autouse=True)
def forget_records():
    RecordingNet.fits.clear()
    RecordingNet.predicted.clear()


@pytest.fixture(scope="module")
def redundant(tmp_path_factory):
    """Each image tells the label on its own; the metadata tell nothing.

    Melanomas have a dark dermoscopic image and a reddish clinical one, nevi
    a bright dermoscopic image and a greenish clinical one; age and sex are
    drawn independently of the label. So a model that learned to use
    whichever image is there classifies lesions with either image alone,
    and with the metadata alone it can only guess.
    """
    directory = tmp_path_factory.mktemp("redundant")
    rng = np.random.RandomState(3)

    def image(path, colour):
        pixels = np.asarray(colour) + rng.randint(-12, 12, (40, 40, 3))
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path)
        return str(path)

    rows, labels = [], []
    for i in range(96):
        melanoma = i % 2 == 0
        grey = (70 if melanoma else 170) + rng.randint(-30, 30)
        tint = np.array((170, 90, 90) if melanoma else (90, 170, 90))
        rows.append({
            "dermoscopic": image(directory / f"{i}_d.png", (grey,) * 3),
            "clinical": image(directory / f"{i}_c.png", tint + rng.randint(-30, 30, 3)),
            "age": float(rng.randint(20, 80)),
            "sex": rng.choice(["female", "male"]),
        })
        labels.append("melanoma" if melanoma else "nevus")
    X = pd.DataFrame(rows, index=[f"lesion_{i:02d}" for i in range(96)])
    return X, np.array(labels), np.arange(96) // 2


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The dermoscopic image tells the label well, the clinical one less well.

    Dark dermoscopic images and reddish clinical ones mean melanoma, with
    noise that blurs the clinical cue more: each image alone allows a
    known, different accuracy.
    """
    directory = tmp_path_factory.mktemp("graded")
    rng = np.random.RandomState(5)

    def image(path, colour):
        pixels = np.asarray(colour) + rng.randint(-12, 12, (40, 40, 3))
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path)
        return str(path)

    rows, labels = [], []
    for i in range(120):
        melanoma = i % 2 == 0
        grey = (90 if melanoma else 150) + rng.normal(0, 30)
        red = (140 if melanoma else 110) + rng.normal(0, 30)
        rows.append({
            "dermoscopic": image(directory / f"{i}_d.png", (grey,) * 3),
            "clinical": image(directory / f"{i}_c.png", (red, 120, 120)),
            "age": float(rng.randint(20, 80)),
        })
        labels.append("melanoma" if melanoma else "nevus")
    return pd.DataFrame(rows), np.array(labels), np.arange(120) // 2


def without_clinical(X, every=3):
    """``X`` with every ``every``-th clinical image not taken."""
    X = X.copy()
    X.loc[X.index[::every], "clinical"] = np.nan
    return X


def scores(results, candidate, available, metric="map"):
    rows = results[(results["candidate"] == candidate) & (results["available"] == available)]
    return rows[metric].to_numpy()


def test_one_model_with_dropout_is_scored_with_every_subset(redundant):
    X, y, patients = redundant
    net = toy_net(modality_dropout=0.5, max_epochs=12)
    robustness = modality_robustness(net, X, y, groups=patients, cv=3)
    results = robustness.results
    assert results.columns.tolist() == RESULT_COLUMNS
    assert robustness.available == EVERY_SUBSET  # the paper's order
    assert results["available"].unique().tolist() == EVERY_SUBSET
    assert set(results["candidate"]) == {"one model"}
    assert (results.groupby("available")["fold"].apply(sorted) == [[0, 1, 2]] * 7).all()
    assert len(RecordingNet.fits) == 3  # one fit per fold, whatever the subsets
    assert (results.groupby("available")["n_scored"].sum() == len(X)).all()
    # Either image alone tells the label; the metadata alone cannot.
    for available in ("dsc", "macro", "dsc + macro + meta"):
        assert scores(results, "one model", available).min() >= 0.95, available
    assert scores(results, "one model", "meta").mean() <= 0.8


def test_dropout_model_does_with_each_image_what_a_dedicated_net_does(graded):
    X, y, patients = graded
    net = toy_net(modalities=BOTH_IMAGES, modality_dropout=0.5, max_epochs=20)
    robustness = modality_robustness(net, X, y, groups=patients, cv=3, dedicated=True)
    auc = robustness.results.groupby(["available", "candidate"])["auc_melanoma"].mean()
    # Trained on complete lesions, the one model scores lesions with either
    # image alone about as well as a net trained on that image alone ...
    for available in ("dsc", "macro", "dsc + macro"):
        assert auc[(available, "one model")] == pytest.approx(
            auc[(available, "dedicated")], abs=0.03
        ), available
    # ... which is what each image allows: the dermoscopic one tells more.
    assert auc[("dsc", "one model")] > auc[("macro", "one model")] + 0.1
    assert auc[("dsc + macro", "one model")] >= auc[("dsc", "one model")] - 0.01


def test_hidden_modalities_reach_the_model_blanked(redundant):
    X, y, patients = redundant
    X = X.astype({"sex": "string"})  # pandas' own text dtype, as pandas 3 reads text
    modality_robustness(toy_net(modality_dropout=0.25, max_epochs=1), X, y,
                        groups=patients, cv=3)
    frames = [frame for _, frame in RecordingNet.predicted]
    assert len(frames) == 3 * 7
    seen = set()
    for frame in frames:
        filled = frame.notna().all().to_dict()
        empty = frame.isna().all().to_dict()
        # Each column is either given as it is or emptied for every lesion.
        assert all(filled[c] != empty[c] for c in frame.columns)
        assert empty["age"] == empty["sex"]  # metadata hidden together
        assert frame["sex"].dtype == X["sex"].dtype
        given = [c for c in frame.columns if filled[c]]
        pd.testing.assert_frame_equal(frame[given], X.loc[frame.index, given])
        seen.add((filled["dermoscopic"], filled["clinical"], filled["age"]))
    assert len(seen) == 7  # every non-empty subset, once per fold


def test_scores_come_from_the_kept_probabilities(redundant):
    X, y, patients = redundant
    robustness = modality_robustness(
        toy_net(modalities=BOTH_IMAGES, modality_dropout=0.25, max_epochs=2), X, y,
        groups=patients, cv=3, dedicated=True,
    )
    predictions = robustness.predictions
    columns = [f"proba_{c}" for c in robustness.classes]
    assert len(robustness.results) == 3 * 3 * 2
    for row in robustness.results.itertuples():
        rows = predictions[
            (predictions["candidate"] == row.candidate) & (predictions["fold"] == row.fold)
            & (predictions["available"] == row.available)
        ]
        assert len(rows) == row.n_scored
        assert_array_equal(rows["y_true"], y[X.index.get_indexer(rows["index"])])
        expected = lesion_scores(rows["y_true"], rows[columns], robustness.classes)
        assert row.map == pytest.approx(expected["map"])
        assert row.top1 == pytest.approx(expected["top1"])
    # The lesions of a fold are the same for every candidate and subset.
    lesions = predictions.groupby(["fold", "candidate", "available"])["index"].apply(set)
    for fold, (_, valid) in enumerate(robustness.splits.folds):
        assert all(found == set(X.index[valid]) for found in lesions[fold])


def test_refused_before_any_fit_when_no_absence_is_learned(redundant):
    X, y, _ = redundant
    with pytest.raises(ValueError, match=r"Nothing was fitted.*never learn to do without "
                       r"the clinical image.*folds \[0, 1, 2\].*modality_dropout > 0"):
        modality_robustness(toy_net(modalities=BOTH_IMAGES), X, y, cv=3)
    assert RecordingNet.fits == []


def test_absences_in_the_training_lesions_are_enough_without_dropout(redundant):
    X, y, patients = redundant
    X = without_clinical(X)
    net = toy_net(modalities=BOTH_IMAGES, max_epochs=2)
    robustness = modality_robustness(
        net, X, y, groups=patients, cv=3, subsets=[("dermoscopic",), BOTH_IMAGES]
    )
    assert robustness.available == ["dsc", "dsc + macro"]
    # The dermoscopic image is never absent in training: clinical-only refused.
    with pytest.raises(ValueError, match=r"without the dermoscopic image.*\['macro'\]"):
        modality_robustness(net, X, y, groups=patients, cv=3)


def test_lesions_with_nothing_of_a_subset_are_left_out_of_its_scores(redundant):
    X, y, patients = redundant
    X = without_clinical(X)
    robustness = modality_robustness(
        toy_net(modalities=BOTH_IMAGES, modality_dropout=0.25, max_epochs=1), X, y,
        groups=patients, cv=3,
    )
    totals = robustness.results.groupby("available")["n_scored"].sum()
    assert totals.to_dict() == {"macro": 64, "dsc": 96, "dsc + macro": 96}
    macro = robustness.predictions.query("available == 'macro'")
    assert X.loc[macro["index"], "clinical"].notna().all()


def test_dedicated_nets_learn_their_subset_alone(redundant):
    X, y, patients = redundant
    X = without_clinical(X)
    robustness = modality_robustness(
        toy_net(modalities=BOTH_IMAGES, modality_dropout=0.25, max_epochs=1), X, y,
        groups=patients, cv=3, dedicated=True,
    )
    fits = pd.DataFrame(RecordingNet.fits)
    assert len(fits) == 3 * (1 + 3)
    dedicated = fits[fits["modality_dropout"] == 0.0]
    assert sorted(set(dedicated["modalities"])) == [
        ("clinical",), ("dermoscopic",), ("dermoscopic", "clinical")
    ]
    # The clinical net trains on the lesions that have a clinical image.
    for index in dedicated.loc[dedicated["modalities"] == ("clinical",), "index"]:
        assert X.loc[index, "clinical"].notna().all()
    results = robustness.results
    n_train = results.groupby(["candidate", "available"])["n_train"].sum()
    assert n_train[("dedicated", "macro")] == 2 * 64  # each lesion trains in 2 of 3 folds
    assert n_train[("dedicated", "dsc")] == n_train[("one model", "dsc")] == 2 * 96


def test_scores_per_data_set(redundant):
    X, y, patients = redundant
    # One set of dermoscopic images only, one of clinical images only.
    dermoscopy = X.iloc[:48].assign(clinical=np.nan)
    clinic = X.iloc[48:].assign(dermoscopic=np.nan)
    both = concat_lesions({
        "dermoscopy": (dermoscopy, y[:48], patients[:48]),
        "clinic": (clinic, y[48:], patients[48:]),
    })
    net = toy_net(modalities=BOTH_IMAGES, modality_dropout=0.25, max_epochs=1)
    robustness = modality_robustness(
        net, both.data, both.target, groups=both.groups, source=both.source, cv=3,
        subsets=[BOTH_IMAGES],
    )
    results = robustness.results
    assert results["source"].unique().tolist() == ["all", "dermoscopy", "clinic"]
    n_scored = results.groupby("source")["n_scored"].sum()
    assert n_scored.to_dict() == {"all": 96, "dermoscopy": 48, "clinic": 48}
    assert set(robustness.predictions["source"]) == {"dermoscopy", "clinic"}


def test_parallel_fits_give_the_same_results(redundant):
    X, y, patients = redundant
    net = toy_net(modalities=BOTH_IMAGES, modality_dropout=0.25, max_epochs=2)
    alone = modality_robustness(net, X, y, groups=patients, cv=3, dedicated=True)
    with parallel_config(backend="threading"):
        together = modality_robustness(net, X, y, groups=patients, cv=3, dedicated=True,
                                       n_jobs=2)
    columns = ["top1", "map", "auc_melanoma", "auc_cancer"]
    assert_allclose(together.results[columns], alone.results[columns])


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"estimator": "forest"}, TypeError, "must be a MultimodalLesionClassifier"),
        ({"modalities": ("dermoscopic",), "modality_dropout": 0.0}, ValueError,
         "single modality 'dermoscopic'"),
        ({"subsets": [("metadata",)], "modalities": BOTH_IMAGES}, ValueError,
         r"holds \['metadata'\], which the estimator does not use"),
        ({"subsets": [("clinical", "dermoscopic"), BOTH_IMAGES]}, ValueError, "twice"),
        ({"subsets": []}, ValueError, "subsets is empty"),
        ({"subsets": "dermoscopic"}, TypeError, "a list of modality subsets"),
        ({"lr": -1.0}, ValueError, "'lr' parameter"),
    ],
)
def test_bad_arguments_are_refused_before_any_fit(redundant, params, error, message):
    X, y, _ = redundant
    estimator = params.pop("estimator", None)
    subsets = params.pop("subsets", None)
    net = toy_net(**{"modality_dropout": 0.25, **params}) if estimator is None else estimator
    with pytest.raises(error, match=message):
        modality_robustness(net, X, y, cv=3, subsets=subsets)
    assert RecordingNet.fits == []


def test_a_modality_no_lesion_has_is_refused(redundant):
    X, y, _ = redundant
    with pytest.raises(ValueError, match="No lesion has the clinical image"):
        modality_robustness(toy_net(modality_dropout=0.25), X.assign(clinical=""), y, cv=3)


def robustness_results():
    """Two folds of both candidates on two subsets; known means and differences."""
    return pd.DataFrame({
        "candidate": ["one model", "dedicated"] * 4,
        "fold": [0, 0, 1, 1] * 2,
        "available": ["dsc + macro"] * 4 + ["dsc"] * 4,
        "source": "all",
        "top1": 0.5,
        "map": [0.70, 0.72, 0.74, 0.72, 0.60, 0.64, 0.62, 0.64],
        "auc_melanoma": 0.8,
        "auc_cancer": 0.9,
    })


def test_summary_gives_means_and_fold_wise_differences():
    summary = summarize_robustness(robustness_results())
    assert summary.index.tolist() == [
        ("dsc", "one model"), ("dsc", "dedicated"), ("dsc", "one model - dedicated"),
        ("dsc + macro", "one model"), ("dsc + macro", "dedicated"),
        ("dsc + macro", "one model - dedicated"),
    ]
    assert summary.loc[("dsc", "one model"), ("mAP", "mean")] == pytest.approx(0.61)
    assert summary.loc[("dsc", "one model - dedicated"), ("mAP", "mean")] == (
        pytest.approx(-0.03)
    )
    # Differences are taken fold by fold: -0.02 and +0.02.
    assert summary.loc[("dsc + macro", "one model - dedicated"), ("mAP", "std")] == (
        pytest.approx(np.std([-0.02, 0.02], ddof=1))
    )
    table = format_robustness(summary, "mAP")
    assert table.loc["dsc"].tolist() == ["0.610 (0.014)", "0.640 (0.000)", "-0.030 (0.014)"]
    assert table.loc["dsc + macro", "one model - dedicated"] == "+0.000 (0.028)"


def test_summarize_gives_the_robustness_summary_of_robustness_results():
    results = robustness_results()
    summary = summarize(results)
    pd.testing.assert_frame_equal(summary, summarize_robustness(results))
    assert summary.loc[("dsc", "one model"), ("mAP", "mean")] == pytest.approx(0.61)
    assert summary.loc[("dsc", "dedicated"), ("mAP", "mean")] == pytest.approx(0.64)
    assert summary.loc[("dsc + macro", "one model"), ("mAP", "mean")] == pytest.approx(0.72)
    assert summary.loc[("dsc + macro", "one model - dedicated"), ("mAP", "mean")] == (
        pytest.approx(0.0)
    )
    # source= picks one data set's scores, as for a study's results.
    pooled = pd.concat([results, results.assign(source="clinic", map=results["map"] - 0.1)])
    clinic = summarize(pooled, source="clinic")
    pd.testing.assert_frame_equal(clinic, summarize_robustness(pooled, source="clinic"))
    assert clinic.loc[("dsc", "one model"), ("mAP", "mean")] == pytest.approx(0.51)
    assert summarize(pooled).loc[("dsc", "one model"), ("mAP", "mean")] == (
        pytest.approx(0.61)
    )
    with pytest.raises(ValueError, match="left-out folds only"):
        summarize(results, split="test")


def test_summarize_tabulates_the_results_of_modality_robustness(redundant):
    X, y, patients = redundant
    net = toy_net(modalities=BOTH_IMAGES, modality_dropout=0.25, max_epochs=1)
    robustness = modality_robustness(net, X, y, groups=patients, cv=3, dedicated=True)
    summary = summarize(robustness.results)
    pd.testing.assert_frame_equal(summary, summarize_robustness(robustness.results))
    assert summary.index.get_level_values("available").unique().tolist() == (
        robustness.available
    )
    assert summary.index.get_level_values("candidate").unique().tolist() == [
        "one model", "dedicated", "one model - dedicated"
    ]


def test_run_robustness_writes_the_tables_and_the_figure(redundant, tmp_path):
    X, y, patients = redundant
    net = toy_net(modalities=BOTH_IMAGES, modality_dropout=0.25, max_epochs=1)
    robustness = run_robustness(net, X, y, groups=patients, cv=3, out=tmp_path / "out",
                                title="Toy")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "predictions.csv", "results.csv", "robustness.png", "table.md"
    ]
    saved = pd.read_csv(tmp_path / "out" / "results.csv")
    assert_allclose(saved["map"], robustness.results["map"])
    table = (tmp_path / "out" / "table.md").read_text()
    assert "## Toy: mAP, 3-fold cross-validation, every lesion" in table
    assert "| available | one model | dedicated | one model - dedicated |" in table
