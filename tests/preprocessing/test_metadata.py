import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator

from skmultimodal.preprocessing import MetadataEncoder


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "age": [30.0, np.nan, 50.0, 70.0],
            "sex": pd.Series(["male", "female", None, "female"], dtype="string"),
            "site": pd.Categorical(["torso", "head/neck", "torso", None]),
            "skin_tone": ["1", "2", "2", "3"],  # digits as text: numeric
            "smoker": [True, False, False, True],
        }
    )


def test_column_types_are_inferred(frame):
    encoder = MetadataEncoder().fit(frame)
    assert encoder.numeric_columns_ == ["age", "skin_tone", "smoker"]
    assert encoder.categorical_columns_ == ["sex", "site"]


def test_numbers_are_imputed_flagged_and_standardised(frame):
    encoder = MetadataEncoder().fit(frame)
    names = encoder.get_feature_names_out().tolist()
    out = pd.DataFrame(encoder.transform(frame), columns=names)
    age = (np.array([30, 50, 50, 70]) - 50) / np.std([30, 50, 50, 70])
    assert_allclose(out["age"], age, rtol=1e-6)
    assert_array_equal(out["age_missing"], [0, 1, 0, 0])
    assert "skin_tone_missing" not in names  # nothing missing, nothing flagged
    assert_array_equal(out["sex_nan"], [0, 0, 1, 0])
    assert_array_equal(out["site_torso"], [1, 0, 1, 0])
    assert_array_equal(encoder.source_columns_, ["age", "skin_tone", "smoker", "age",
                                                 "sex", "sex", "sex", "site", "site", "site"])


def test_unseen_categories_encode_as_zeros(frame):
    encoder = MetadataEncoder().fit(frame)
    new = frame.iloc[:1].assign(site="palms/soles")
    out = pd.DataFrame(encoder.transform(new), columns=encoder.get_feature_names_out())
    assert out.filter(like="site_").to_numpy().sum() == 0


def test_ordinal_passthrough_keeps_missing_values_for_trees(frame):
    encoder = MetadataEncoder(categorical="ordinal", numeric="passthrough").fit(frame)
    out = encoder.transform(frame)
    assert np.isnan(out[1, 0])  # age missing stays missing
    assert np.isnan(out[2, 3])  # sex missing stays missing
    unseen = encoder.transform(frame.assign(sex="unknown"))
    assert np.isnan(unseen[:, 3]).all()


def test_text_in_a_numeric_column_names_column_and_rows(frame):
    encoder = MetadataEncoder().fit(frame)
    bad = frame.astype({"age": object})
    bad.loc[2, "age"] = "fifty"
    with pytest.raises(ValueError, match=r"'age'.*rows 2 .*'fifty'"):
        encoder.transform(bad)


def test_infinity_is_refused_with_its_rows(frame):
    with pytest.raises(ValueError, match=r"'age' holds infinity at rows 3"):
        MetadataEncoder().fit(frame.assign(age=[1.0, 2.0, 3.0, np.inf]))


def training_frame(n=40, seed=0):
    """Informative age and sex, and five columns that carry nothing in fit."""
    rng = np.random.RandomState(seed)
    X = pd.DataFrame(
        {
            "age": rng.normal(50, 15, n).round(),
            "sex": rng.choice(["female", "male"], n),
            "weight": np.full(n, np.nan),  # never recorded in this data set
            "site_palms": np.zeros(n),  # a user's one-hot indicator, 0 in this fold
            "biopsied": np.ones(n, dtype=bool),
            "clinic": ["Vienna"] * n,
            "region": pd.Categorical([None] * n, categories=["north", "south"]),
        }
    )
    X.loc[::5, "age"] = np.nan
    return X


UNINFORMATIVE = ["weight", "site_palms", "biopsied", "clinic", "region"]


def unseen_values(X):
    """The uninformative columns with values the training lesions never had."""
    n = len(X)
    return X.assign(
        weight=np.linspace(40, 900, n),
        site_palms=np.ones(n),
        biopsied=np.arange(n) % 2 == 0,
        clinic=np.where(np.arange(n) % 2, "Brisbane", None),
        region=pd.Categorical(["north", "south"] * (n // 2), categories=["north", "south"]),
    )


@pytest.mark.parametrize("categorical", ["onehot", "ordinal"])
@pytest.mark.parametrize("numeric", ["standardize", "passthrough"])
def test_columns_without_information_in_fit_encode_the_same_whatever_they_hold(
    categorical, numeric
):
    X = training_frame()
    with pytest.warns(UserWarning, match="held a single value") as record:
        encoder = MetadataEncoder(categorical=categorical, numeric=numeric).fit(X)
    assert encoder.uninformative_columns_ == UNINFORMATIVE
    expected = encoder.transform(X)
    assert_array_equal(encoder.transform(unseen_values(X)), expected)
    # The informative columns still count.
    assert not np.array_equal(encoder.transform(X.assign(age=99.0)), expected)
    # One warning, naming every such column and its value.
    messages = [str(w.message) for w in record if "single value" in str(w.message)]
    assert len(messages) == 1
    assert "'weight': missing throughout" in messages[0]
    assert "'site_palms': always 0" in messages[0]
    assert "'clinic': always 'Vienna'" in messages[0]


def test_no_missing_value_indicator_that_was_constant_in_fit():
    with pytest.warns(UserWarning):
        encoder = MetadataEncoder().fit(training_frame())
    names = encoder.get_feature_names_out().tolist()
    assert names == ["age", "weight", "site_palms", "biopsied", "age_missing",
                     "sex_female", "sex_male", "clinic_Vienna", "region_nan"]


def test_constant_column_with_informative_missing_values_keeps_the_indicator():
    X = pd.DataFrame({"age": [50.0, np.nan] * 10, "size": np.arange(20.0)})
    with pytest.warns(UserWarning, match=r"\['age'\] held a single value besides missing"):
        encoder = MetadataEncoder().fit(X)
    assert encoder.missingness_only_columns_ == ["age"]
    new = pd.DataFrame({"age": [50.0, 95.0, np.nan], "size": [3.0, 3.0, 3.0]})
    out = pd.DataFrame(encoder.transform(new), columns=encoder.get_feature_names_out())
    assert_array_equal(out["age"], [0, 0, 0])
    assert_array_equal(out["age_missing"], [0, 0, 1])
    # Trees see the same: the value is fixed, missing stays missing.
    with pytest.warns(UserWarning):
        forest_encoder = MetadataEncoder(numeric="passthrough").fit(X)
    assert_array_equal(forest_encoder.transform(new)[:, 0], [50, 50, np.nan])


def test_metadata_net_ignores_a_column_it_never_saw_filled():
    from skmultimodal import MultimodalLesionClassifier

    X = training_frame(60)[["age", "sex", "weight"]]
    y = np.where(X["age"].fillna(50) > 50, "bcc", "nevus")
    net = MultimodalLesionClassifier(
        modalities=("metadata",), embedding_dims=(8,), max_epochs=2, batch_size=32,
        random_state=0,
    )
    with pytest.warns(UserWarning, match="'weight'"):
        net.fit(X, y)
    assert_allclose(net.predict_proba(X.assign(weight=500.0)), net.predict_proba(X))


def to_files(state, directory):
    """What a pickle-free serialiser does: JSON for values, .npy for arrays."""
    arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
    values = {k: v for k, v in state.items() if k not in arrays}
    (directory / "state.json").write_text(json.dumps(values))
    for key, array in arrays.items():
        np.save(directory / f"{key}.npy", array, allow_pickle=False)
    loaded = json.loads((directory / "state.json").read_text())
    loaded.update({k: np.load(directory / f"{k}.npy", allow_pickle=False) for k in arrays})
    return loaded


@pytest.mark.parametrize("categorical", ["onehot", "ordinal"])
@pytest.mark.parametrize("numeric", ["standardize", "passthrough"])
def test_state_round_trip_through_json_and_arrays(categorical, numeric, frame, tmp_path):
    X = pd.concat([frame] * 3, ignore_index=True).assign(clinic="Vienna")
    with pytest.warns(UserWarning):
        encoder = MetadataEncoder(categorical=categorical, numeric=numeric).fit(X)
    restored = MetadataEncoder._from_state(to_files(encoder._get_state(), tmp_path))
    new = unseen_values(training_frame(4))[["age", "sex", "clinic"]].join(
        frame[["site", "skin_tone", "smoker"]])[list(X.columns)]
    assert_array_equal(restored.transform(new), encoder.transform(new))
    assert_array_equal(restored.transform(X), encoder.transform(X))
    assert_array_equal(restored.get_feature_names_out(), encoder.get_feature_names_out())
    assert_array_equal(restored.source_columns_, encoder.source_columns_)
    assert_array_equal(restored.feature_names_in_, encoder.feature_names_in_)
    assert restored.numeric_columns_ == encoder.numeric_columns_
    assert restored.categorical_columns_ == encoder.categorical_columns_
    assert restored.get_params() == encoder.get_params()


def test_state_of_an_encoder_fitted_on_an_array(tmp_path):
    X = np.array([[1.0, 5.0], [2.0, np.nan], [3.0, 7.0]])
    encoder = MetadataEncoder().fit(X)
    restored = MetadataEncoder._from_state(to_files(encoder._get_state(), tmp_path))
    assert restored.numeric_columns_ == [0, 1]
    assert not hasattr(restored, "feature_names_in_")
    assert_array_equal(restored.transform(X), encoder.transform(X))
    with pytest.raises(ValueError, match="3 features, but MetadataEncoder is expecting 2"):
        restored.transform(np.ones((1, 3)))


def test_fitted_state_is_plain_arrays_and_lists(frame):
    encoder = MetadataEncoder().fit(frame)
    fitted = {k: v for k, v in vars(encoder).items() if k.endswith("_")}
    assert not [k for k, v in fitted.items() if isinstance(v, BaseEstimator)]
    state = encoder._get_state()
    arrays = [v for v in state.values() if isinstance(v, np.ndarray)]
    assert all(a.dtype == np.float64 for a in arrays)
    json.dumps({k: v for k, v in state.items() if not isinstance(v, np.ndarray)})


def test_state_of_another_version_is_refused(frame):
    state = MetadataEncoder().fit(frame)._get_state()
    with pytest.raises(ValueError, match="version 99.*Refit the encoder"):
        MetadataEncoder._from_state({**state, "version": 99})
