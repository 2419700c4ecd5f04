import numpy as np
import pytest

from skmultimodal.model_selection import study_splits


@pytest.fixture
def labels():
    rng = np.random.RandomState(0)
    y = rng.choice(["nevus", "melanoma", "bcc"], size=300, p=[0.6, 0.2, 0.2])
    groups = rng.randint(0, 120, size=300)
    return y, groups


@pytest.mark.parametrize("test_size", [None, 0.2])
def test_every_development_case_is_validated_exactly_once(labels, test_size):
    y, groups = labels
    splits = study_splits(y, groups, cv=5, test_size=test_size, random_state=0)
    validated = np.concatenate([valid for _, valid in splits.folds])
    assert np.array_equal(np.sort(validated), np.sort(splits.development))
    for train, valid in splits.folds:
        assert np.intersect1d(train, valid).size == 0
        assert np.array_equal(np.sort(np.r_[train, valid]), np.sort(splits.development))


def test_no_patient_on_both_sides_and_the_test_set_is_never_trained_on(labels):
    y, groups = labels
    splits = study_splits(y, groups, cv=5, test_size=0.2, random_state=0)
    assert 0.15 < len(splits.test) / len(y) < 0.25
    assert set(groups[splits.test]).isdisjoint(groups[splits.development])
    for train, valid in splits.folds:
        assert set(groups[train]).isdisjoint(groups[valid])
        assert np.intersect1d(train, splits.test).size == 0
        assert np.intersect1d(valid, splits.test).size == 0


def test_folds_keep_class_proportions(labels):
    y, _ = labels
    splits = study_splits(y, cv=5, random_state=0)
    overall = np.mean(y == "melanoma")
    for _, valid in splits.folds:
        assert abs(np.mean(y[valid] == "melanoma") - overall) < 0.03


def test_same_seed_same_splits(labels):
    y, groups = labels
    first = study_splits(y, groups, cv=3, test_size=0.2, random_state=4)
    again = study_splits(y, groups, cv=3, test_size=0.2, random_state=4)
    assert np.array_equal(first.test, again.test)
    for (a, b), (c, d) in zip(first.folds, again.folds):
        assert np.array_equal(a, c) and np.array_equal(b, d)


def test_bad_arguments(labels):
    y, groups = labels
    with pytest.raises(ValueError, match="cv must be"):
        study_splits(y, cv=1)
    with pytest.raises(ValueError, match="test_size"):
        study_splits(y, test_size=1.5)
    with pytest.raises(ValueError, match="one group"):
        study_splits(y, groups[:10])
    missing = groups.astype(object)
    missing[[3, 7]] = None
    with pytest.raises(ValueError, match="2 group id\\(s\\) are missing, at positions 3, 7"):
        study_splits(y, missing)
