import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from skmultimodal import MetadataForestClassifier
from skmultimodal.metrics import lesion_scorers


def metadata_frame(n=400, seed=0):
    """Age and site carry the label; sex and the image path do not."""
    rng = np.random.RandomState(seed)
    y = rng.choice(["nevus", "bcc", "melanoma"], size=n)
    age = np.where(y == "bcc", 70, np.where(y == "melanoma", 55, 35)) + rng.normal(0, 8, n)
    site = np.where(
        (y == "bcc") & (rng.uniform(size=n) < 0.8), "head/neck",
        rng.choice(["torso", "upper extremity", "lower extremity"], size=n),
    )
    X = pd.DataFrame(
        {
            "dermoscopic": [f"/images/{i}.jpg" for i in range(n)],
            "age": age.round(),
            "sex": rng.choice(["female", "male"], size=n),
            "site": site,
        }
    )
    X.loc[rng.uniform(size=n) < 0.1, "age"] = np.nan
    X.loc[rng.uniform(size=n) < 0.1, "site"] = None
    return X, y


def test_image_columns_are_ignored_and_importances_name_columns():
    X, y = metadata_frame()
    forest = MetadataForestClassifier(n_estimators=100, random_state=0).fit(X, y)
    assert forest.metadata_columns_ == ["age", "sex", "site"]
    importances = pd.Series(forest.feature_importances_, forest.feature_names_in_)
    assert importances["dermoscopic"] == 0.0
    assert importances.sum() == pytest.approx(1.0)
    assert importances["age"] > importances["site"] > importances["sex"]


def test_missing_values_and_unseen_categories_at_predict():
    X, y = metadata_frame()
    forest = MetadataForestClassifier(n_estimators=50, random_state=0).fit(X, y)
    new = X.iloc[:3].assign(age=np.nan, site="palms/soles", sex=None)
    proba = forest.predict_proba(new)
    assert proba.shape == (3, 3) and np.isfinite(proba).all()
    assert_allclose(proba.sum(axis=1), 1.0)


def test_at_least_as_good_as_a_plain_random_forest_pipeline():
    X, y = metadata_frame(600, seed=1)
    plain = make_pipeline(
        make_column_transformer(
            (make_pipeline(SimpleImputer(strategy="most_frequent"),
                           OneHotEncoder(handle_unknown="ignore")), ["sex", "site"]),
            (SimpleImputer(strategy="median"), ["age"]),
        ),
        RandomForestClassifier(n_estimators=200, random_state=0),
    )
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    ours = cross_validate(MetadataForestClassifier(n_estimators=200, random_state=0),
                          X, y, cv=cv, scoring=lesion_scorers())
    theirs = cross_validate(plain, X, y, cv=cv, scoring=lesion_scorers())
    assert ours["test_map"].mean() >= theirs["test_map"].mean() - 0.005
    assert ours["test_auc_melanoma"].mean() >= theirs["test_auc_melanoma"].mean() - 0.005


def test_explicit_metadata_columns():
    X, y = metadata_frame()
    forest = MetadataForestClassifier(n_estimators=20, metadata_columns=["age"]).fit(X, y)
    importances = dict(zip(forest.feature_names_in_, forest.feature_importances_))
    assert importances["age"] == pytest.approx(1.0)
    with pytest.raises(KeyError, match="'weight'"):
        MetadataForestClassifier(metadata_columns=["weight"]).fit(X, y)


def test_frame_of_image_columns_only_is_refused():
    X = pd.DataFrame({"dermoscopic": ["a.jpg", "b.jpg"], "clinical": ["c.jpg", "d.jpg"]})
    with pytest.raises(ValueError, match="no metadata column"):
        MetadataForestClassifier().fit(X, ["nevus", "bcc"])


@pytest.mark.parametrize("categorical", ["onehot", "ordinal"])
def test_columns_without_information_in_fit_get_no_importance_and_no_say(categorical):
    X, y = metadata_frame(200)
    X = X.assign(weight=np.nan, site_palms=0.0, clinic="Vienna")
    with pytest.warns(UserWarning, match=r"\['weight', 'site_palms', 'clinic'\]"):
        forest = MetadataForestClassifier(n_estimators=30, categorical=categorical,
                                          random_state=0).fit(X, y)
    importances = pd.Series(forest.feature_importances_, forest.feature_names_in_)
    assert (importances[["dermoscopic", "weight", "site_palms", "clinic"]] == 0).all()
    assert importances.sum() == pytest.approx(1.0)
    unseen = X.assign(weight=np.linspace(1, 500, len(X)), site_palms=1.0,
                      clinic=np.where(np.arange(len(X)) % 2, "Brisbane", None))
    assert_allclose(forest.predict_proba(unseen), forest.predict_proba(X))
