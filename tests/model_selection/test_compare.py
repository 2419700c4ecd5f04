import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from skmultimodal import MultimodalLesionClassifier
from skmultimodal.metrics import cancer_auc, mean_average_precision
from skmultimodal.model_selection import (
    compare_modalities,
    modality_candidates,
    search_embedding_dims,
)

from ..conftest import FAST_NET, small_tower


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Predicts class frequencies and records the rows it was trained on."""

    trained_on = []

    def fit(self, X, y):
        type(self).trained_on.append(set(X.index))
        self.classes_, counts = np.unique(y, return_counts=True)
        self.prior_ = counts / counts.sum()
        return self

    def predict_proba(self, X):
        return np.tile(self.prior_, (len(X), 1))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


@pytest.fixture(scope="module")
def comparison(lesions):
    X, y, groups = lesions
    net = MultimodalLesionClassifier(**{**FAST_NET, "max_epochs": 1})
    candidates = modality_candidates(
        net, combinations=[("dermoscopic",), ("metadata",)], embedding=(True, False)
    )
    candidates["prior"] = RecordingClassifier()
    RecordingClassifier.trained_on = []
    saved = []
    result = compare_modalities(
        X, y, groups=groups, candidates=candidates, cv=3, test_size=0.25,
        random_state=0, on_candidate=lambda name, rows, probas: saved.append(name),
    )
    return result, saved, list(RecordingClassifier.trained_on)


def test_one_row_per_candidate_fold_and_split(comparison):
    result, saved, _ = comparison
    names = ["dsc", "meta", "dsc (no embedding)", "meta (no embedding)",
             "random forest meta", "prior"]
    assert saved == names
    counts = result.results.groupby(["candidate", "split"]).size()
    assert (counts == 3).all() and len(counts) == 2 * len(names)
    assert result.results[["top1", "map", "auc_cancer"]].notna().all().all()


def test_the_held_out_test_set_is_never_trained_on(comparison, lesions):
    result, _, trained_on = comparison
    X, _, groups = lesions
    test_rows = set(X.index[result.splits.test])
    assert len(trained_on) == 3
    for rows in trained_on:
        assert rows.isdisjoint(test_rows)
    test_groups = set(groups[result.splits.test])
    assert test_groups.isdisjoint(groups[result.splits.development])


def test_out_of_fold_predictions_cover_the_development_set_once(comparison, lesions):
    result, _, _ = comparison
    X, y, _ = lesions
    predictions = result.predictions
    valid = predictions[(predictions.candidate == "dsc") & (predictions.split == "validation")]
    assert sorted(valid["index"]) == sorted(X.index[result.splits.development])
    proba_columns = [f"proba_{c}" for c in np.unique(y)]
    assert np.allclose(valid[proba_columns].sum(axis=1), 1.0)
    test = predictions[(predictions.candidate == "dsc") & (predictions.split == "test")]
    assert len(test) == 3 * len(result.splits.test)


def test_scores_agree_with_the_kept_probabilities(comparison, lesions):
    result, _, _ = comparison
    _, y, _ = lesions
    labels = np.unique(y)
    columns = [f"proba_{c}" for c in labels]
    for split in ("validation", "test"):
        for fold in range(3):
            rows = result.predictions.query(
                "candidate == 'meta' and fold == @fold and split == @split"
            )
            score = result.results.query(
                "candidate == 'meta' and fold == @fold and split == @split"
            ).iloc[0]
            proba = rows[columns].to_numpy()
            assert score["map"] == pytest.approx(
                mean_average_precision(rows["y_true"], proba, labels), abs=1e-6)
            assert score["auc_cancer"] == pytest.approx(
                cancer_auc(rows["y_true"], proba, labels), abs=1e-6)


def test_a_constant_predictor_scores_at_chance(comparison):
    result, _, _ = comparison
    prior = result.results.query("candidate == 'prior'")
    assert np.allclose(prior["auc_cancer"], 0.5)


def test_embedding_search_reports_intervals(lesions):
    X, y, groups = lesions
    net = MultimodalLesionClassifier(
        **{**FAST_NET, "backbone": small_tower(), "weights": "DEFAULT", "max_epochs": 2}
    )
    search = search_embedding_dims(
        X, y, estimator=net, groups=groups, depths=(0, 1, 2), widths=(8, 16),
        combinations=[("metadata",), ("dermoscopic", "metadata")], cv=3,
    )
    results = search.results
    assert len(results) == 2 * (1 + 2 + 2)
    assert set(results["candidate"]) == {"meta", "dsc + meta"}
    assert (results["map_low"] <= results["map"]).all()
    assert (results["map"] <= results["map_high"]).all()
    assert (results["loss"] > 0).all()
    # The interval is the Student-t interval over the three folds.
    cv = search.grid_search.cv_results_
    i = 3
    folds = np.array([cv[f"split{k}_test_map"][i] for k in range(3)])
    half = 4.302652729911275 * folds.std(ddof=1) / np.sqrt(3)
    assert results.loc[i, "map_high"] - results.loc[i, "map"] == pytest.approx(half)
    dims = cv["params"][i]["embedding_dims"]
    assert (results.loc[i, "depth"], results.loc[i, "width"]) == (len(dims), dims[0])


def test_candidates_refuse_a_net_without_embedding_to_compare():
    with pytest.raises(ValueError, match="embedding_dims=\\(\\)"):
        modality_candidates(MultimodalLesionClassifier(embedding_dims=()))
    names = list(modality_candidates(MultimodalLesionClassifier(), forest="skip"))
    assert len(names) == 14 and "random forest meta" not in names
    assert isinstance(pd.Series(names), pd.Series)
