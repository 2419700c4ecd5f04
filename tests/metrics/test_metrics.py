import itertools
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate

from skmultimodal.metrics import (
    cancer_auc,
    cross_entropy,
    lesion_scorers,
    lesion_scores,
    lesion_scoring,
    mean_average_precision,
    melanoma_auc,
    top1_accuracy,
)

LABELS = np.array(["bcc", "bkl", "melanoma", "nevus", "scc"])


def reference_average_precision(positive, score):
    """Precision at each positive, averaged, ties broken pessimistically.

    The same as sklearn's step-wise definition when scores are distinct.
    """
    order = np.argsort(-score, kind="stable")
    hits = positive[order]
    precisions = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return precisions[hits].mean()


def reference_auc(positive, score):
    """Probability that a random positive outranks a random negative (Mann-Whitney)."""
    pairs = list(itertools.product(score[positive], score[~positive]))
    return np.mean([1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs])


@pytest.fixture
def scores():
    rng = np.random.RandomState(0)
    y_true = rng.choice(LABELS, size=80, p=[0.2, 0.1, 0.2, 0.4, 0.1])
    logits = rng.normal(size=(80, 5)) + 1.5 * (LABELS == y_true[:, None])
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y_true, proba


def test_mean_average_precision_matches_reference(scores):
    y_true, proba = scores
    expected = np.mean(
        [reference_average_precision(y_true == c, proba[:, i]) for i, c in enumerate(LABELS)]
    )
    assert mean_average_precision(y_true, proba, LABELS) == pytest.approx(expected)


def test_aucs_match_reference(scores):
    y_true, proba = scores
    melanoma = reference_auc(y_true == "melanoma", proba[:, 2])
    assert melanoma_auc(y_true, proba, LABELS) == pytest.approx(melanoma)
    cancer = np.isin(y_true, ["melanoma", "bcc", "scc"])
    expected = reference_auc(cancer, proba[:, [0, 2, 4]].sum(axis=1))
    assert cancer_auc(y_true, proba, LABELS) == pytest.approx(expected)


def test_top1_accuracy_reads_labels_from_columns(scores):
    y_true, proba = scores
    expected = np.mean(LABELS[proba.argmax(axis=1)] == y_true)
    assert top1_accuracy(y_true, proba, LABELS) == pytest.approx(expected)
    # Same matrix with shuffled columns and labels: same score.
    order = [3, 0, 4, 1, 2]
    assert top1_accuracy(y_true, proba[:, order], LABELS[order]) == pytest.approx(expected)
    assert mean_average_precision(
        y_true, proba[:, order], LABELS[order]
    ) == pytest.approx(mean_average_precision(y_true, proba, LABELS))


def test_absent_classes():
    y_true = np.array(["nevus", "nevus", "bcc", "bcc"])
    proba = np.array([[0.1, 0.9], [0.3, 0.7], [0.8, 0.2], [0.6, 0.4]])
    # Only present classes count: both are perfectly ranked.
    assert mean_average_precision(y_true, proba, ["bcc", "nevus"]) == 1.0
    # A class the model never saw scores with probability zero.
    with_unseen = np.append(y_true, "scc")
    proba_unseen = np.vstack([proba, [0.5, 0.5]])
    expected = np.mean([1.0, 1.0, 1 / 5])
    assert mean_average_precision(with_unseen, proba_unseen, ["bcc", "nevus"]) == pytest.approx(expected)
    with pytest.warns(UndefinedMetricWarning, match="no positive"):
        assert np.isnan(melanoma_auc(y_true, np.c_[proba, np.zeros(4)], ["bcc", "nevus", "melanoma"]))


def test_aucs_of_a_model_that_never_saw_the_class_are_chance():
    y_true = ["nevus", "melanoma", "bkl", "melanoma"]
    proba = [[0.6, 0.4], [0.3, 0.7], [0.2, 0.8], [0.5, 0.5]]
    assert melanoma_auc(y_true, proba, ["nevus", "bkl"]) == 0.5
    assert cancer_auc(y_true, proba, ["nevus", "bkl"]) == 0.5


def test_scorers_survive_a_fold_whose_training_part_lacks_a_class():
    from sklearn.dummy import DummyClassifier

    y = np.array(["nevus"] * 6 + ["melanoma"] * 2 + ["bcc"] * 4)
    X = np.arange(len(y))[:, None]
    # The fold trains on nevus and bcc only, and is tested on melanoma too.
    train = np.r_[0:4, 8:10]
    test = np.r_[4:8, 10:12]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = cross_validate(DummyClassifier(strategy="prior"), X, y,
                                cv=[(train, test)], scoring=lesion_scorers(),
                                error_score="raise")
    assert result["test_auc_melanoma"][0] == 0.5
    assert result["test_auc_cancer"][0] == 0.5
    assert np.isfinite(result["test_map"]).all()


def test_labels_must_match_columns():
    with pytest.raises(ValueError, match="each of the 2 columns"):
        top1_accuracy(["a"], [[0.5, 0.5]], ["a"])


class CountingClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression that counts its predict_proba calls."""

    calls = 0

    def fit(self, X, y):
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        type(self).calls += 1
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.model_.predict(X)


def test_scorers_share_one_predict_proba_call_and_match_the_metrics(scores):
    y_true, _ = scores
    rng = np.random.RandomState(1)
    X = rng.normal(size=(len(y_true), 3)) + (LABELS == y_true[:, None])[:, :3]
    CountingClassifier.calls = 0
    result = cross_validate(CountingClassifier(), X, y_true, cv=2, scoring=lesion_scorers(),
                            return_estimator=True, return_indices=True)
    assert CountingClassifier.calls == 2  # once per fold, for all four metrics
    model, test = result["estimator"][0], result["indices"]["test"][0]
    proba = model.model_.predict_proba(X[test])
    assert result["test_map"][0] == pytest.approx(
        mean_average_precision(y_true[test], proba, model.classes_))
    assert result["test_auc_cancer"][0] == pytest.approx(
        cancer_auc(y_true[test], proba, model.classes_))


def test_scorers_work_for_two_classes():
    rng = np.random.RandomState(0)
    y = np.array(["nevus", "melanoma"] * 20)
    X = rng.normal(size=(40, 2)) + (y == "melanoma")[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedMetricWarning)
        result = cross_validate(LogisticRegression(), X, y, cv=2, scoring=lesion_scorers())
    assert (result["test_auc_melanoma"] > 0.5).all()
    assert (result["test_auc_cancer"] == result["test_auc_melanoma"]).all()


METRIC_FUNCTIONS = [
    mean_average_precision, top1_accuracy, melanoma_auc, cancer_auc, cross_entropy,
]


@pytest.mark.parametrize("metric", METRIC_FUNCTIONS, ids=lambda f: f.__name__)
def test_labels_sharing_nothing_with_y_true_are_refused(metric):
    proba = [[0.3, 0.7], [0.6, 0.4]]
    # Integer codes against label strings: both sets are named.
    with pytest.raises(ValueError, match=r"\['melanoma', 'nevus'\].*\[0, 1\]"):
        metric(["nevus", "melanoma"], proba, [0, 1])
    with pytest.raises(ValueError, match="None of the labels of y_true"):
        metric(["nevus", "melanoma"], proba, ["bcc", "scc"])


def test_one_shared_label_is_enough_for_a_model_that_missed_a_class():
    # The fold's model knew nevus and bcc only; melanoma scores probability 0.
    y_true = ["nevus", "melanoma", "bcc", "melanoma"]
    proba = [[0.2, 0.8], [0.4, 0.6], [0.9, 0.1], [0.3, 0.7]]
    assert top1_accuracy(y_true, proba, ["bcc", "nevus"]) == 0.5


@pytest.mark.parametrize("metric", METRIC_FUNCTIONS, ids=lambda f: f.__name__)
def test_one_label_spelled_two_ways_is_refused(metric):
    y_true = ["nevus", "Melanoma", "bcc", "nevus"]
    proba = np.full((4, 3), 1 / 3)
    with pytest.raises(ValueError, match="'Melanoma' and the column label 'melanoma'"):
        metric(y_true, proba, ["bcc", "melanoma", "nevus"])


@pytest.mark.parametrize("metric", METRIC_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_probabilities_are_refused_with_their_rows(metric, bad):
    proba = np.full((12, 2), 0.5)
    proba[[3, 7], 1] = bad
    with pytest.raises(ValueError, match=r"NaN or infinity in 2 of its 12 rows \(rows 3, 7\)"):
        metric(["melanoma", "nevus"] * 6, proba, ["melanoma", "nevus"])


def test_all_nan_probabilities_do_not_score():
    with pytest.raises(ValueError, match="in 2 of its 2 rows"):
        top1_accuracy(["bcc", "nevus"], np.full((2, 2), np.nan), ["bcc", "nevus"])


@pytest.mark.parametrize("metric", METRIC_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad", [-0.2, 1.5, 3.0])
def test_scores_that_are_not_probabilities_are_refused(metric, bad):
    proba = np.full((4, 2), 0.5)
    proba[2, 0] = bad
    with pytest.raises(ValueError, match=r"outside \[0, 1\] in 1 of its 4 rows \(rows 2;"):
        metric(["melanoma", "nevus"] * 2, proba, ["melanoma", "nevus"])


def test_float32_rounding_around_the_bounds_is_accepted():
    proba = np.array([[1 + 3e-7, -2e-7], [0.25, 0.75]])
    assert top1_accuracy(["melanoma", "nevus"], proba, ["melanoma", "nevus"]) == 1.0


def test_melanoma_label_spelled_otherwise_is_refused_with_the_fix():
    y_true = ["nevus", "Melanoma", "nevus", "Melanoma"]
    proba = [[0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.9, 0.1]]
    with pytest.raises(ValueError, match="Pass melanoma='Melanoma'"):
        melanoma_auc(y_true, proba, ["Melanoma", "nevus"])
    assert melanoma_auc(y_true, proba, ["Melanoma", "nevus"], melanoma="Melanoma") == 1.0


def test_melanoma_absent_from_labels_and_y_true_is_refused():
    proba = [[0.2, 0.8], [0.6, 0.4]]
    with pytest.raises(ValueError, match="melanoma='melanoma' occurs neither in y_true"):
        melanoma_auc(["nevus", "bcc"], proba, ["bcc", "nevus"])


def test_cancers_spelled_otherwise_or_absent_are_refused():
    y_true = ["nevus", "BCC", "melanoma", "nevus"]
    proba = np.full((4, 3), 1 / 3)
    # One cancer spelled otherwise would silently count as benign.
    with pytest.raises(ValueError, match=r"Pass cancers=\['melanoma', 'BCC', 'scc'\]"):
        cancer_auc(y_true, proba, ["BCC", "melanoma", "nevus"])
    with pytest.raises(ValueError, match="occurs neither in y_true"):
        cancer_auc(["nevus", "bkl"], [[0.5, 0.5], [0.2, 0.8]], ["bkl", "nevus"])
    # A single cancer as a string is one label, not its letters.
    assert cancer_auc(["nevus", "bcc"], [[0.1, 0.9], [0.8, 0.2]], ["bcc", "nevus"],
                      cancers="bcc") == 1.0


def test_lesion_scores_are_the_metrics(scores):
    y_true, proba = scores
    result = lesion_scores(y_true, proba, LABELS, loss=True)
    assert list(result) == ["top1", "map", "auc_melanoma", "auc_cancer", "neg_log_loss"]
    assert result["map"] == mean_average_precision(y_true, proba, LABELS)
    assert result["auc_melanoma"] == melanoma_auc(y_true, proba, LABELS)
    assert result["neg_log_loss"] == -cross_entropy(y_true, proba, LABELS)
    assert "neg_log_loss" not in lesion_scores(y_true, proba, LABELS)


def test_lesion_scoring_predicts_once_and_matches_the_scorers(scores):
    y_true, _ = scores
    rng = np.random.RandomState(1)
    X = rng.normal(size=(len(y_true), 3)) + (LABELS == y_true[:, None])[:, :3]
    CountingClassifier.calls = 0
    ours = cross_validate(CountingClassifier(), X, y_true, cv=3,
                          scoring=lesion_scoring(loss=True), error_score="raise")
    assert CountingClassifier.calls == 3  # once per fold, for all five numbers
    theirs = cross_validate(CountingClassifier(), X, y_true, cv=3,
                            scoring=lesion_scorers(loss=True))
    for name in ["top1", "map", "auc_melanoma", "auc_cancer", "neg_log_loss"]:
        assert_allclose(ours[f"test_{name}"], theirs[f"test_{name}"])


def test_lesion_scoring_refits_a_grid_search_on_one_metric():
    rng = np.random.RandomState(0)
    y = rng.choice(["nevus", "melanoma", "bcc"], size=90)
    X = rng.normal(size=(90, 3)) + (y[:, None] == ["nevus", "melanoma", "bcc"])
    search = GridSearchCV(LogisticRegression(), {"C": [1e-4, 1.0]},
                          scoring=lesion_scoring(), refit="map", cv=3).fit(X, y)
    results = search.cv_results_
    assert search.best_index_ == np.argmax(results["mean_test_map"])
    assert search.best_score_ == results["mean_test_map"][search.best_index_]
    assert np.isfinite(results["mean_test_auc_cancer"]).all()


def test_lesion_scoring_works_for_two_classes_and_pickles():
    rng = np.random.RandomState(0)
    y = np.array(["nevus", "melanoma"] * 20)
    X = rng.normal(size=(40, 2)) + (y == "melanoma")[:, None]
    scoring = pickle.loads(pickle.dumps(lesion_scoring()))
    assert repr(scoring) == "lesion_scoring(loss=False)"
    result = scoring(LogisticRegression().fit(X, y), X, y)
    assert result["auc_melanoma"] == result["auc_cancer"] > 0.5
