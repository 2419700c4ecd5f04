"""ImageFeatureExtractor: frozen tower features as a scikit-learn transformer."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmultimodal.metrics import lesion_scorers
from skmultimodal.neural import get_feature_store
from skmultimodal.neural._extractor import ImageFeatureExtractor
from skmultimodal.preprocessing import ImageLoadError, get_image_store

from ..conftest import write_square

SMALL = {"backbone": "resnet18", "weights": None, "image_size": 32, "random_state": 0}


def counters():
    return get_image_store().n_decoded, get_feature_store().n_computed


@pytest.fixture
def squares(tmp_path):
    """Six new image files: no store has seen them."""
    return [write_square(tmp_path / f"{i}.png", (40 * i, 90, 200 - 30 * i)) for i in range(6)]


def test_in_a_column_transformer_under_grid_search(lesions):
    X, y, _ = lesions
    images = ImageFeatureExtractor(**SMALL)
    images.fit_transform(X[["dermoscopic"]])
    before = counters()
    features = ColumnTransformer([
        ("images", make_pipeline(images, StandardScaler()), ["dermoscopic"]),
        ("age", make_pipeline(SimpleImputer(), StandardScaler()), ["age"]),
    ])
    model = make_pipeline(features, LogisticRegression(max_iter=2000))
    search = GridSearchCV(
        model, {"logisticregression__C": [0.01, 1.0]}, cv=3, scoring=lesion_scorers(),
        refit="map",
    ).fit(X, y)
    # Seven fits (three folds of two grid points, the refit), no image decoded
    # or feature computed again.
    assert counters() == before
    assert np.isfinite(search.cv_results_["mean_test_map"]).all()
    assert search.best_estimator_.predict_proba(X).shape == (len(X), len(set(y)))
    names = search.best_estimator_[0].get_feature_names_out()
    assert names[0] == "images__dermoscopic_0" and names[-1] == "age__age"
    assert len(names) == 512 + 1


def test_second_transform_decodes_and_computes_nothing(squares):
    extractor = ImageFeatureExtractor(**SMALL).fit(squares)
    decoded, computed = counters()
    first = extractor.transform(squares)
    assert counters() == (decoded + 6, computed + 6)
    second = ImageFeatureExtractor(**SMALL).fit(squares).transform(squares[::-1])
    assert counters() == (decoded + 6, computed + 6)
    assert_array_equal(second, first[::-1])


def test_features_are_the_towers_pooled_output(squares):
    extractor = ImageFeatureExtractor(**SMALL).fit(squares)
    features = extractor.transform(squares)
    assert features.dtype == np.float32 and features.shape == (6, 512)
    pixels = get_image_store().load(squares, image_size=32).gather(slice(None)).float()
    mean, std = (torch.tensor(v).view(1, 3, 1, 1) * 255 for v in extractor.normalization_)
    with torch.no_grad():
        expected = extractor.tower_((pixels - mean) / std).numpy()
    assert_allclose(features, expected, rtol=1e-2, atol=1e-3)  # kept as float16


def test_empty_cells_give_rows_of_nan(squares):
    cells = pd.Series([squares[0], np.nan, None, "", squares[1]], name="dermoscopic")
    extractor = ImageFeatureExtractor(**SMALL).fit(cells)
    features = extractor.transform(cells)
    assert np.isnan(features[1:4]).all()
    assert np.isfinite(features[[0, 4]]).all()
    computed = get_feature_store().n_computed
    assert np.isnan(extractor.transform(pd.Series([None, ""]))).all()
    assert get_feature_store().n_computed == computed


def test_every_form_of_one_column_gives_the_same_features(squares):
    extractor = ImageFeatureExtractor(**SMALL)
    frame = pd.DataFrame({"dermoscopic": squares})
    expected = extractor.fit_transform(frame)
    for form in (frame["dermoscopic"], squares, np.array(squares).reshape(-1, 1)):
        assert_array_equal(ImageFeatureExtractor(**SMALL).fit_transform(form), expected)
    with pytest.raises(ValueError, match=r"one column of image paths, got 2 columns"):
        extractor.fit(frame.assign(clinical=squares))


def test_feature_names_follow_the_column(squares):
    named = ImageFeatureExtractor(**SMALL).fit(pd.DataFrame({"clinical": squares}))
    assert named.get_feature_names_out()[:2].tolist() == ["clinical_0", "clinical_1"]
    unnamed = ImageFeatureExtractor(**SMALL).fit(squares)
    assert unnamed.get_feature_names_out()[-1] == "image_511"
    with pytest.raises(ValueError, match="one column of image paths"):
        named.get_feature_names_out(["dermoscopic"])
    frame = named.set_output(transform="pandas").transform(pd.DataFrame({"clinical": squares}))
    assert list(frame.columns[:2]) == ["clinical_0", "clinical_1"]


def test_random_towers_repeat_under_one_seed_and_survive_pickling(squares):
    first = ImageFeatureExtractor(**SMALL).fit(squares)
    again = pickle.loads(pickle.dumps(ImageFeatureExtractor(**SMALL).fit(squares)))
    assert_array_equal(again.transform(squares), first.transform(squares))
    other = ImageFeatureExtractor(**{**SMALL, "random_state": 1}).fit(squares)
    assert not np.allclose(other.transform(squares), first.transform(squares))


def test_unreadable_image_is_named_by_its_row(squares, tmp_path):
    frame = pd.DataFrame({"dermoscopic": [squares[0], str(tmp_path / "gone.png")]},
                         index=["lesion_a", "lesion_b"])
    extractor = ImageFeatureExtractor(**SMALL).fit(frame)
    with pytest.raises(ImageLoadError, match=r"row 'lesion_b', column 'dermoscopic'.*gone.png"):
        extractor.transform(frame)
