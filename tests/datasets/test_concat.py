"""concat_lesions: several data sets as one lesion frame."""

import pathlib

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.utils import Bunch

from skmultimodal.datasets import (
    SITES,
    concat_lesions,
    load_ham10000,
    load_pad_ufes20,
)

from .test_loaders import write_ham10000, write_pad_ufes20

# What pandas makes of a column of text: its string dtype on pandas 3,
# object on pandas 2.
TEXT = pd.Series(["text", np.nan]).dtype


def lesions(ids, *, image, groups, labels, **metadata):
    """A loader-like Bunch over lesions ``ids`` with one image column."""
    data = pd.DataFrame(
        {image: [f"/images/{i}.jpg" for i in ids], **metadata}, index=ids
    )
    return Bunch(
        data=data,
        target=pd.Series(labels, index=data.index),
        groups=pd.Series(groups, index=data.index),
    )


@pytest.fixture
def two_sets():
    dermoscopic = lesions(
        ["L1", "L2", "L3"],
        image="dermoscopic",
        groups=["p1", "p1", "p2"],
        labels=["nevus", "nevus", "melanoma"],
        age=[40.0, 40.0, 70.0],
        sex=["female", "female", "male"],
        site=["torso", "torso", "head/neck"],
    )
    clinical = lesions(
        ["L1", "L9"],
        image="clinical",
        groups=["p1", "p3"],
        labels=["bcc", "nevus"],
        age=[61, 35],
        site=["torso", np.nan],
        itch=[1.0, 0.0],
    )
    return {"dermoscopic_set": dermoscopic, "clinical_set": clinical}


@pytest.fixture
def real_loader_output(tmp_path):
    write_ham10000(tmp_path / "ham")
    write_pad_ufes20(tmp_path / "pad")
    return {
        "ham10000": load_ham10000(tmp_path / "ham"),
        "pad_ufes20": load_pad_ufes20(tmp_path / "pad"),
    }


def test_patients_of_two_sets_stay_apart(two_sets):
    both = concat_lesions(two_sets)
    assert list(both.groups) == [
        "dermoscopic_set:p1", "dermoscopic_set:p1", "dermoscopic_set:p2",
        "clinical_set:p1", "clinical_set:p3",
    ]  # fmt: skip
    assert both.groups["dermoscopic_set:L1"] != both.groups["clinical_set:L1"]


def test_ids_shared_by_two_sets_give_a_unique_index(two_sets):
    both = concat_lesions(two_sets)
    assert both.data.index.is_unique
    assert list(both.data.index) == [
        "dermoscopic_set:L1", "dermoscopic_set:L2", "dermoscopic_set:L3",
        "clinical_set:L1", "clinical_set:L9",
    ]  # fmt: skip
    for part in ("frame", "target", "groups", "source"):
        assert both[part].index.equals(both.data.index), part


def test_source_names_each_lesion_and_is_never_a_feature(two_sets):
    both = concat_lesions(two_sets, columns="all")
    assert list(both.source) == ["dermoscopic_set"] * 3 + ["clinical_set"] * 2
    assert "source" not in both.data.columns
    assert "source" not in both.feature_names
    assert list(both.frame.columns) == [*both.data.columns, "target"]


def test_image_columns_a_set_lacks_are_empty_for_its_lesions(two_sets):
    data = concat_lesions(two_sets).data
    assert list(data.columns[:2]) == ["dermoscopic", "clinical"]
    assert data["clinical"].iloc[:3].isna().all()
    assert data["dermoscopic"].iloc[3:].isna().all()
    assert data.loc["clinical_set:L9", "clinical"] == "/images/L9.jpg"


def test_shared_columns_by_default_and_all_on_request(two_sets):
    shared = concat_lesions(two_sets)
    assert shared.feature_names == ["dermoscopic", "clinical", "age", "site"]
    description = " ".join(shared.DESCR.split())
    assert "sex (only in dermoscopic_set)" in description
    assert "itch (only in clinical_set)" in description
    union = concat_lesions(two_sets, columns="all").data
    assert list(union.columns) == [
        "dermoscopic", "clinical", "age", "sex", "site", "itch",
    ]  # fmt: skip
    assert union["sex"].iloc[3:].isna().all()
    np.testing.assert_array_equal(union["itch"], [np.nan] * 3 + [1.0, 0.0])


def test_metadata_keeps_harmonised_dtypes(two_sets):
    data = concat_lesions(two_sets, columns="all").data
    assert data["age"].dtype == np.float64  # ints in one set, floats in the other
    np.testing.assert_array_equal(data["age"], [40.0, 40.0, 70.0, 61.0, 35.0])
    assert data["itch"].dtype == np.float64
    for column in ("sex", "site", "dermoscopic", "clinical"):
        assert data[column].dtype == TEXT, column
    assert list(data["site"].fillna("-")) == [
        "torso", "torso", "head/neck", "torso", "-",
    ]  # fmt: skip


def test_target_names_and_description_count_lesions_per_source(two_sets):
    both = concat_lesions(two_sets)
    assert list(both.target) == ["nevus", "nevus", "melanoma", "bcc", "nevus"]
    assert both.target_names == ["nevus", "melanoma", "bcc"]
    table = both.DESCR.split("per data set and class\n")[-1].splitlines()
    assert table[1].split() == ["nevus", "melanoma", "bcc", "total"]
    rows = [line.split() for line in table[2:] if line.strip()]
    assert rows == [
        ["dermoscopic_set", "2", "1", "0", "3"],
        ["clinical_set", "1", "0", "1", "2"],
        ["total", "3", "1", "1", "5"],
    ]


def test_tuples_work_and_without_groups_every_lesion_is_its_own(two_sets):
    clinical = two_sets["clinical_set"]
    both = concat_lesions(
        {
            "a": (two_sets["dermoscopic_set"].data, ["nevus"] * 3, ["p", "p", "q"]),
            "b": (clinical.data, clinical.target.to_numpy()),
        }
    )
    assert list(both.groups) == ["a:p", "a:p", "a:q", "b:L1", "b:L9"]
    assert list(both.target) == ["nevus"] * 3 + ["bcc", "nevus"]


def test_a_column_empty_in_one_set_joins_any_kind(two_sets):
    # A loader gives an all-missing text column as float NaN.
    two_sets["clinical_set"].data["sex"] = np.nan
    data = concat_lesions(two_sets).data
    assert data["sex"].dtype == TEXT
    assert data["sex"].iloc[3:].isna().all()


def test_categorical_text_and_path_like_images_are_kept(two_sets):
    first = two_sets["dermoscopic_set"].data
    first["site"] = first["site"].astype("category")
    first["dermoscopic"] = [pathlib.Path(p) for p in first["dermoscopic"]]
    data = concat_lesions(two_sets).data
    assert data["site"].dtype == TEXT
    assert data.loc["dermoscopic_set:L3", "site"] == "head/neck"
    assert data.loc["dermoscopic_set:L1", "dermoscopic"] == pathlib.Path(
        "/images/L1.jpg"
    )


def test_real_loader_output_of_ham10000_and_pad_ufes20(real_loader_output):
    ham, pad = real_loader_output["ham10000"], real_loader_output["pad_ufes20"]
    both = concat_lesions(real_loader_output)
    assert len(both.data) == len(ham.data) + len(pad.data)
    # PAD-UFES-20 has no sex (without partial_columns), HAM10000 no answers.
    assert both.feature_names == ["dermoscopic", "clinical", "age", "site"]
    is_ham = (both.source == "ham10000").to_numpy()
    assert both.data["clinical"][is_ham].isna().all()
    assert both.data["dermoscopic"][~is_ham].isna().all()
    assert both.data["dermoscopic"][is_ham].notna().all()
    assert set(both.data["site"].dropna()) <= set(SITES)
    assert both.data["age"].dtype == np.float64
    assert list(both.target) == [*ham.target, *pad.target]
    assert list(both.groups[is_ham]) == [f"ham10000:{g}" for g in ham.groups]
    union = concat_lesions(real_loader_output, columns="all").data
    assert union["sex"].dtype == TEXT
    assert union["sex"][~is_ham].isna().all()
    assert union["itch"][is_ham].isna().all()


def test_stratified_group_kfold_keeps_every_group_in_one_fold():
    rng = np.random.default_rng(0)
    sets = {}
    for name, image in (("first", "dermoscopic"), ("second", "clinical")):
        ids = [f"L{i}" for i in range(30)]
        # The same raw patient ids in both sets: different patients.
        sets[name] = lesions(
            ids,
            image=image,
            groups=[f"p{i % 6}" for i in range(30)],
            labels=rng.choice(["nevus", "melanoma", "bcc"], size=30),
            age=rng.uniform(20, 80, size=30),
        )
    both = concat_lesions(sets)
    assert both.groups.nunique() == 12
    folds = StratifiedGroupKFold(n_splits=3).split(
        both.data, both.target, groups=both.groups
    )
    for train, test in folds:
        assert not set(both.groups.iloc[train]) & set(both.groups.iloc[test])


def frame(**columns):
    (values,) = columns.values()
    return pd.DataFrame(columns, index=[f"L{i}" for i in range(len(values))])


@pytest.mark.parametrize(
    "datasets, error, match",
    [
        ([("a", (frame(age=[1, 2]), ["x", "y"]))], TypeError, "dict"),
        ({}, ValueError, "empty"),
        ({3: (frame(age=[1, 2]), ["x", "y"])}, TypeError, "strings, got 3"),
        ({"": (frame(age=[1, 2]), ["x", "y"])}, ValueError, "non-empty"),
        ({"ham:10000": (frame(age=[1, 2]), ["x", "y"])}, ValueError, "':'"),
        ({"a": [frame(age=[1, 2]), ["x", "y"]]}, TypeError, "'a'.*Bunch.*tuple"),
        ({"a": (frame(age=[1, 2]),)}, TypeError, "'a'.*tuple"),
        ({"a": (np.ones((2, 1)), ["x", "y"])}, TypeError, "'a'.*DataFrame"),
        ({"a": (frame(age=[1, 2]), ["x"])}, ValueError, "'a' has 2 lesions.*labels"),
        ({"a": (frame(age=[1, 2]), ["x", "y"], ["p"])}, ValueError, "group ids"),
        ({"a": (frame(age=[1, 2]), ["x", "y"], ["p", None])}, ValueError,
         "no group id for lesion.*'L1'"),
        ({"a": (frame(age=[1, 2]), ["x", None])}, ValueError, "no label.*'L1'"),
        ({"a": (frame(age=[]), [])}, ValueError, "'a' has no lesions"),
        ({"a": (frame(age=[1, 2]).set_axis(["L", "L"]), ["x", "y"])}, ValueError,
         "'a'.*'L' more than once"),
        ({"a": (frame(site=["torso", "back"]), ["x", "y"])}, ValueError,
         "'site' of 'a' holds \\['back'\\]"),
        ({"a": (frame(sex=["F", "male"]), ["x", "y"])}, ValueError,
         "'sex' of 'a' holds \\['F'\\]"),
        ({"a": (frame(age=["forty", "fifty"]), ["x", "y"])}, ValueError,
         "'age' must hold numbers"),
    ],
)  # fmt: skip
def test_invalid_datasets_are_named_in_the_error(datasets, error, match):
    with pytest.raises(error, match=match):
        concat_lesions(datasets)


def test_a_column_of_numbers_in_one_set_and_text_in_another_is_refused():
    datasets = {
        "a": (frame(size=[1.0, 2.0]), ["x", "y"]),
        "b": (frame(size=["small", "large"]), ["x", "y"]),
        "c": (frame(size=[3, 4]), ["x", "y"]),
    }
    with pytest.raises(ValueError, match="'size'.*numeric in 'a', 'c'; text in 'b'"):
        concat_lesions(datasets)


def test_invalid_columns_option_is_rejected(two_sets):
    with pytest.raises(ValueError, match="columns must be one of"):
        concat_lesions(two_sets, columns="common")
