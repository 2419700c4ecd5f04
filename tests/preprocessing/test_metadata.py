import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

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
