"""ModalityStudy: the study from Python, its files, figures and refits.

Most tests use classifiers that fit in milliseconds (the metadata forest and
a class-frequency predictor), so that the study's own logic is what they
measure.
"""

import json
import os
import warnings

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config

from skmultimodal import MetadataForestClassifier, MultimodalLesionClassifier
from skmultimodal.metrics import lesion_scores
from skmultimodal.model_selection import (
    Candidate,
    ModalityStudy,
    compare_modalities,
    format_summary,
    modality_candidates,
)
from skmultimodal.model_selection._report import figure_candidates

from .conftest import CountingClassifier


def cheap_candidates():
    return {
        "random forest meta": MetadataForestClassifier(n_estimators=10),
        "prior": CountingClassifier(),
    }


def test_run_writes_the_files_and_gives_the_table(frame, tmp_path):
    X, y, groups = frame
    out = tmp_path / "study"
    study = ModalityStudy(cheap_candidates(), cv=3, test_size=0.25, out=out,
                          title="Frame").run(X, y, groups=groups)
    assert sorted(os.listdir(out)) == [
        "predictions.csv", "results.csv", "settings.json", "table.md", "table.tex"
    ]
    summary = study.summary()
    assert summary.index.tolist() == ["random forest meta", "prior"]
    assert study.summary("test")[("mAP", "mean")].notna().all()
    table = (out / "table.md").read_text()
    assert "## Frame: 3-fold cross-validation, scored on the left-out fold" in table
    assert "## Frame: every fold's model scored on the held-out test set" in table
    assert format_summary(summary) in table
    saved = pd.read_csv(out / "results.csv")
    assert len(saved) == len(study.results_) == 2 * 3 * 2
    settings = json.loads((out / "settings.json").read_text())
    assert settings["cv"] == 3 and settings["random_state"] == 0
    assert settings["candidates"]["random forest meta"]["kind"] == "forest"
    assert settings["n_lesions"] == 60 and settings["versions"]["numpy"]


def test_each_fold_is_fitted_once_and_predicted_once(frame):
    X, y, groups = frame
    CountingClassifier.calls.update(fit=0, predict_proba=0)
    ModalityStudy({"prior": CountingClassifier()}, cv=3, test_size=0.25).run(
        X, y, groups=groups
    )
    # One predict_proba per fold covers its left-out part and the test set.
    assert CountingClassifier.calls == {"fit": 3, "predict_proba": 3}


def test_every_score_comes_from_the_stored_probabilities(frame):
    X, y, groups = frame
    study = ModalityStudy(cheap_candidates(), cv=3, test_size=0.25).run(
        X, y, groups=groups
    )
    columns = [f"proba_{c}" for c in study.classes_]
    for row in study.results_.itertuples():
        rows = study.predictions_.query(
            "candidate == @row.candidate and fold == @row.fold and split == @row.split"
        )
        scores = lesion_scores(rows["y_true"], rows[columns].to_numpy(), study.classes_)
        assert row.map == scores["map"] and row.auc_cancer == scores["auc_cancer"]
        assert row.n_scored == len(rows)


def test_folds_in_parallel_give_the_same_results(frame):
    X, y, groups = frame
    candidates = {"random forest meta": MetadataForestClassifier(n_estimators=10)}
    alone = ModalityStudy(candidates, cv=3).run(X, y, groups=groups)
    # Any joblib backend runs the folds: here threads.
    with parallel_config(backend="threading"):
        together = ModalityStudy(candidates, cv=3, n_jobs=2).run(X, y, groups=groups)
    columns = ["map", "top1", "auc_melanoma", "auc_cancer", "n_scored"]
    assert together.results_[columns].equals(alone.results_[columns])


def test_compare_modalities_is_the_study_without_a_folder(frame):
    X, y, groups = frame
    seen = []
    comparison = compare_modalities(
        X, y, groups=groups, candidates=cheap_candidates(), cv=3,
        on_candidate=lambda name, results, predictions: seen.append(name),
    )
    study = ModalityStudy(cheap_candidates(), cv=3).run(X, y, groups=groups)
    assert seen == ["random forest meta", "prior"]
    pd.testing.assert_frame_equal(
        comparison.results.drop(columns="fit_time"), study.results_.drop(columns="fit_time")
    )
    assert comparison.left_out == {}


def test_refit_fits_on_every_lesion_outside_the_test_set(frame):
    X, y, groups = frame
    study = ModalityStudy(cheap_candidates(), cv=3, test_size=0.25).run(
        X, y, groups=groups
    )
    forest = study.refit("random forest meta")
    assert forest.random_state == 0  # the study's seed, as in the folds
    assert forest.forest_.n_features_in_ >= 2
    CountingClassifier.calls.update(fit=0)
    prior = study.refit("prior")
    expected = np.unique(y[study.splits_.development], return_counts=True)[1]
    assert np.allclose(prior.prior_, expected / expected.sum())
    with pytest.raises(KeyError, match="No candidate 'dsc'"):
        study.refit("dsc")


def test_write_figures_writes_the_four_pngs(frame, tmp_path):
    pytest.importorskip("matplotlib")
    X, y, groups = frame
    study = ModalityStudy(cheap_candidates(), cv=3).run(X, y, groups=groups)
    with pytest.raises(ValueError, match="no `out` folder"):
        study.write_figures()
    paths = study.write_figures(tmp_path / "figures")
    assert sorted(os.path.basename(p) for p in paths) == [
        "confusion_matrices.png", "forest_importances.png", "map_boxplot.png",
        "roc_melanoma.png",
    ]
    assert all(os.path.getsize(p) > 0 for p in paths)


def test_candidates_are_described_by_what_they_are_not_by_name():
    net = MultimodalLesionClassifier(modalities=("clinical", "dermoscopic"))
    assert Candidate.from_estimator(net) == Candidate(
        "net", ("dermoscopic", "clinical"), embedding=True
    )
    assert Candidate.from_estimator(net.set_params(embedding_dims=())).name == (
        "dsc + macro (no embedding)"
    )
    forest = Candidate.from_estimator(MetadataForestClassifier())
    assert (forest.kind, forest.modalities, forest.name) == (
        "forest", ("metadata",), "random forest meta"
    )
    assert Candidate.from_estimator(CountingClassifier()) == Candidate("other")
    candidates = modality_candidates(MultimodalLesionClassifier(), forest="skip")
    assert all(Candidate.from_estimator(e).name == n for n, e in candidates.items())


def test_figures_leave_out_nets_without_embedding_whatever_their_names():
    # Names that say the opposite of what the candidates are.
    descriptions = {
        "dsc": Candidate("net", ("dermoscopic",), embedding=False),
        "meta (no embedding)": Candidate("net", ("metadata",), embedding=True),
        "mine": Candidate("other"),
        "forest": Candidate("forest", ("metadata",)),
    }
    assert figure_candidates(descriptions) == ["meta (no embedding)", "mine", "forest"]


@pytest.mark.parametrize(
    "params, match",
    [
        ({"cv": 1}, "'cv' parameter"),
        ({"n_jobs": 0}, "'n_jobs' parameter"),
        ({"test_size": 1.0}, "'test_size' parameter"),
        ({"random_state": None}, "'random_state' parameter"),
        ({"candidates": {}}, "candidates is empty"),
        ({"settings": {"cv": 3}}, "records itself"),
    ],
)
def test_bad_parameters_are_refused_before_any_fit(frame, params, match):
    X, y, groups = frame
    CountingClassifier.calls.update(fit=0)
    study = ModalityStudy(**{"candidates": {"prior": CountingClassifier()}, **params})
    with pytest.raises(ValueError, match=match):
        study.run(X, y, groups=groups)
    assert CountingClassifier.calls["fit"] == 0


def test_an_out_that_is_a_file_is_refused(frame, tmp_path):
    X, y, groups = frame
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="is a file"):
        ModalityStudy(cheap_candidates(), out=tmp_path / "file").run(X, y)


def test_summary_before_run_says_to_run():
    with pytest.raises(Exception, match="has not run yet"):
        ModalityStudy().summary()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ModalityStudy()  # stores its parameters only
