"""Incomplete lesions and several data sets: what a study runs, and per-source scores.

The left-out decision depends only on which images the lesions have, so these
tests need no net to be trained: the nets they name are left out, and the
forest and a class-frequency predictor are what runs.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from skmultimodal import MetadataForestClassifier, MultimodalLesionClassifier
from skmultimodal.datasets import concat_lesions
from skmultimodal.metrics import lesion_scores
from skmultimodal.model_selection import (
    Candidate,
    ModalityStudy,
    UnsupportedCandidateWarning,
    modality_candidates,
    study_splits,
    summarize,
)
from skmultimodal.model_selection._support import left_out_candidates

from ..conftest import FAST_NET, small_tower
from .conftest import CountingClassifier


def lesions(n, image, seed):
    """``n`` lesions with one image column and metadata that tells the class."""
    rng = np.random.RandomState(seed)
    y = rng.choice(["nevus", "melanoma", "bcc"], size=n, p=[0.5, 0.25, 0.25])
    X = pd.DataFrame(
        {
            image: [f"{image}_{i}.jpg" for i in range(n)],
            "age": np.where(y == "nevus", 35.0, 65.0) + rng.normal(0, 8, n),
            "site": rng.choice(["torso", "head/neck"], size=n),
        },
        index=[f"{image}{i}" for i in range(n)],
    )
    return X, y, [f"patient_{i // 2}" for i in range(n)]


@pytest.fixture
def ham():
    """Dermoscopic images only, as HAM10000."""
    return lesions(40, "dermoscopic", 0)


@pytest.fixture
def pooled(ham):
    """HAM10000-like and PAD-UFES-20-like lesions, as concat_lesions gives them."""
    return concat_lesions({"ham10000": ham, "pad_ufes20": lesions(30, "clinical", 1)})


def describe(candidates):
    return {name: Candidate.from_estimator(e) for name, e in candidates.items()}


def test_nets_on_a_modality_no_lesion_has_are_left_out(ham):
    X, _, _ = ham
    candidates = modality_candidates(MultimodalLesionClassifier(), embedding=(True,))
    with pytest.warns(UnsupportedCandidateWarning, match="Left out 4 candidate"):
        left_out = left_out_candidates(candidates, describe(candidates), X)
    assert left_out == {
        "macro": "no lesion has a clinical image",
        "macro + meta": "no lesion has a clinical image",
        "dsc + macro": "no lesion has a clinical image",
        "dsc + macro + meta": "no lesion has a clinical image",
    }


def test_nets_some_lesions_cannot_feed_are_left_out_naming_the_source(pooled):
    candidates = modality_candidates(MultimodalLesionClassifier(), embedding=(True,))
    with pytest.warns(UnsupportedCandidateWarning):
        left_out = left_out_candidates(
            candidates, describe(candidates), pooled.data, pooled.source.to_numpy()
        )
    assert left_out == {
        "macro": "40 lesions (ham10000) have no clinical image",
        "dsc": "30 lesions (pad_ufes20) have no dermoscopic image",
    }


def test_lesions_lacking_every_modality_of_a_net_are_named(ham):
    X, _, _ = ham
    X = X.copy()
    X.loc[["dermoscopic3", "dermoscopic7"], "dermoscopic"] = None
    X.loc["dermoscopic7", ["age", "site"]] = np.nan
    candidates = {
        "dsc": MultimodalLesionClassifier(modalities=("dermoscopic",)),
        "dsc + meta": MultimodalLesionClassifier(modalities=("dermoscopic", "metadata")),
    }
    with pytest.warns(UnsupportedCandidateWarning):
        left_out = left_out_candidates(candidates, describe(candidates), X)
    assert left_out == {
        "dsc": "2 lesions (rows 'dermoscopic3', 'dermoscopic7') have no dermoscopic image",
        "dsc + meta": "1 lesion (rows 'dermoscopic7') has no dermoscopic image and no "
        "metadata",
    }


def test_the_forest_needs_a_metadata_column(ham):
    X, _, _ = ham
    candidates = {"forest": MetadataForestClassifier(), "mine": CountingClassifier()}
    with pytest.warns(UnsupportedCandidateWarning):
        left_out = left_out_candidates(candidates, describe(candidates), X[["dermoscopic"]])
    assert left_out == {"forest": "the lesion frame has no metadata column"}


def test_the_study_runs_what_the_data_support_and_records_the_rest(ham, tmp_path):
    X, y, groups = ham
    candidates = {
        "macro": MultimodalLesionClassifier(modalities=("clinical",)),
        "random forest meta": MetadataForestClassifier(n_estimators=10),
    }
    study = ModalityStudy(candidates, cv=3, out=tmp_path)
    with pytest.warns(UnsupportedCandidateWarning, match="macro: no lesion has a clin"):
        study.run(X, y, groups=groups)
    assert study.left_out_ == {"macro": "no lesion has a clinical image"}
    assert list(study.candidates_) == ["random forest meta"]
    assert study.settings_["left_out"] == study.left_out_
    assert set(study.results_["candidate"]) == {"random forest meta"}


def test_a_study_the_data_support_nothing_of_is_refused(ham):
    X, y, groups = ham
    study = ModalityStudy({"macro": MultimodalLesionClassifier(modalities=("clinical",))})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnsupportedCandidateWarning)
        with pytest.raises(ValueError, match="cannot evaluate any.*macro: no lesion"):
            study.run(X, y, groups=groups)


def test_pooled_data_sets_are_scored_together_and_each_alone(pooled):
    study = ModalityStudy(
        {"random forest meta": MetadataForestClassifier(n_estimators=10),
         "prior": CountingClassifier()},
        cv=3, test_size=0.25,
    ).run(pooled.data, pooled.target, groups=pooled.groups, source=pooled.source)  # fmt: skip
    assert study.sources_ == ["ham10000", "pad_ufes20"]
    results = study.results_
    assert list(dict.fromkeys(results["source"])) == ["all", "ham10000", "pad_ufes20"]
    columns = [f"proba_{c}" for c in study.classes_]
    for row in results[results["source"] == "pad_ufes20"].itertuples():
        scored = study.predictions_.query(
            "candidate == @row.candidate and fold == @row.fold and split == @row.split "
            "and source == 'pad_ufes20'"
        )
        scores = lesion_scores(scored["y_true"], scored[columns].to_numpy(), study.classes_)
        assert row.n_scored == len(scored) and row.map == scores["map"]
    overall = summarize(results)
    alone = summarize(results, source="ham10000")
    assert overall.index.tolist() == alone.index.tolist()
    assert not overall.equals(alone)
    with pytest.raises(ValueError, match="no scores for source 'isic'.*'pad_ufes20'"):
        study.summary(source="isic")


def test_folds_hold_each_data_set_in_proportion(pooled):
    source = pooled.source.to_numpy()
    splits = study_splits(pooled.target, pooled.groups, cv=3, source=source)
    for _, valid in splits.folds:
        share = np.mean(source[valid] == "pad_ufes20")
        assert abs(share - 30 / 70) < 0.1
        assert set(pooled.groups.iloc[valid]).isdisjoint(
            np.delete(pooled.groups.to_numpy(), valid)
        )


def test_one_data_set_splits_as_without_sources(ham):
    _, y, groups = ham
    alone = study_splits(y, groups, cv=3, test_size=0.2)
    named = study_splits(y, groups, cv=3, test_size=0.2, source=["ham10000"] * len(y))
    assert np.array_equal(alone.test, named.test)
    for (a, b), (c, d) in zip(alone.folds, named.folds):
        assert np.array_equal(a, c) and np.array_equal(b, d)


def test_results_without_sources_summarise_all_only():
    results = pd.DataFrame(
        {"candidate": ["dsc"] * 2, "fold": [0, 1], "split": "validation",
         "top1": 0.5, "map": [0.4, 0.6], "auc_melanoma": 0.7, "auc_cancer": 0.8}
    )  # fmt: skip
    assert summarize(results, source="all").loc["dsc", ("mAP", "mean")] == 0.5
    with pytest.raises(ValueError, match="no scores per data set"):
        summarize(results, source="ham10000")


def test_a_net_learns_from_lesions_with_either_image(lesions):
    X, y, groups = lesions
    X = X.copy()
    # A third of the lesions lack the dermoscopic image, another third the
    # clinical one, as in a clinic that skips one now and then.
    X.iloc[0::3, X.columns.get_loc("dermoscopic")] = None
    X.iloc[1::3, X.columns.get_loc("clinical")] = ""
    net = MultimodalLesionClassifier(
        **{**FAST_NET, "backbone": small_tower(), "weights": "DEFAULT", "max_epochs": 1}
    )
    candidates = modality_candidates(
        net, forest="skip", embedding=(True,),
        combinations=[("dermoscopic",), ("dermoscopic", "clinical")],
    )  # fmt: skip
    with pytest.warns(UnsupportedCandidateWarning, match="20 lesions"):
        study = ModalityStudy(candidates, cv=3).run(X, y, groups=groups)
    assert list(study.left_out_) == ["dsc"]
    assert study.left_out_["dsc"].startswith(f"20 lesions (rows {X.index[0]!r}, ")
    assert study.results_["map"].notna().all()
    assert len(study.predictions_) == len(X)
