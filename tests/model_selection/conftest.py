"""What the study's tests share: a lesion frame and a classifier that fit at once."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin


class CountingClassifier(ClassifierMixin, BaseEstimator):
    """Predicts noisy class frequencies; counts its fits and predictions."""

    calls = {"fit": 0, "predict_proba": 0}

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y):
        type(self).calls["fit"] += 1
        self.classes_, counts = np.unique(y, return_counts=True)
        self.prior_ = counts / counts.sum()
        return self

    def predict_proba(self, X):
        type(self).calls["predict_proba"] += 1
        rng = np.random.RandomState(len(X))
        proba = self.prior_ + rng.uniform(0, 0.2, size=(len(X), len(self.classes_)))
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


@pytest.fixture
def frame():
    """60 lesions with metadata that tells the class, and image paths."""
    rng = np.random.RandomState(0)
    y = rng.choice(["nevus", "melanoma", "bcc"], size=60, p=[0.5, 0.25, 0.25])
    X = pd.DataFrame(
        {
            "dermoscopic": [f"d{i}.jpg" for i in range(60)],
            "clinical": [f"c{i}.png" for i in range(60)],
            "age": np.where(y == "nevus", 35.0, 65.0) + rng.normal(0, 8, 60),
            "site": rng.choice(["torso", "head/neck"], size=60),
        },
        index=[f"lesion_{i:03d}" for i in range(60)],
    )
    groups = np.arange(60) // 2
    return X, y, groups
