import os

import numpy as np
import pandas as pd
from numpy.testing import assert_array_equal
from PIL import Image

from skmultimodal.datasets import CLASSES, SITES, make_lesions


def test_frame_layout_and_files(tmp_path):
    X, y, groups = make_lesions(40, image_size=32, directory=tmp_path,
                                return_groups=True, random_state=0)
    assert X.columns.tolist() == ["dermoscopic", "clinical", "age", "sex", "site"]
    assert len(X) == len(y) == len(groups) == 40
    assert set(y) <= set(CLASSES)
    assert set(X["site"].dropna()) <= set(SITES)
    assert set(X["sex"].dropna()) <= {"female", "male"}
    assert X["age"].dropna().between(5, 90).all()
    with Image.open(X["dermoscopic"].iloc[0]) as image:
        assert image.format == "JPEG" and image.size == (43, 32)
    with Image.open(X["clinical"].iloc[0]) as image:
        assert image.format == "PNG" and image.size == (32, 43)
    # A patient's lesions share the patient's sex.
    sexes = pd.DataFrame({"patient": groups, "sex": X["sex"]}).dropna()
    assert (sexes.groupby("patient")["sex"].nunique() <= 1).all()


def test_same_seed_same_data_and_files_are_reused(tmp_path):
    X1, y1 = make_lesions(25, image_size=32, directory=tmp_path, random_state=3)
    mtimes = [os.path.getmtime(p) for p in X1["dermoscopic"]]
    X2, y2 = make_lesions(25, image_size=32, directory=tmp_path, random_state=3)
    pd.testing.assert_frame_equal(X1, X2)
    assert_array_equal(y1, y2)
    assert mtimes == [os.path.getmtime(p) for p in X2["dermoscopic"]]
    _, y3 = make_lesions(25, image_size=32, directory=tmp_path / "other", random_state=4)
    assert not np.array_equal(y1, y3)


def test_nevus_is_the_most_common_class(tmp_path):
    _, y = make_lesions(400, image_size=16, directory=tmp_path, random_state=0)
    counts = pd.Series(y).value_counts()
    assert counts.index[0] == "nevus"
    assert set(counts.index) == set(CLASSES)


def test_default_directory_is_a_cache_keyed_by_the_arguments(tmp_path, monkeypatch):
    monkeypatch.setenv("SKMULTIMODAL_DATA", str(tmp_path))
    X, _ = make_lesions(5, image_size=16, random_state=0)
    X_other, _ = make_lesions(5, image_size=24, random_state=0)
    assert os.path.dirname(X["dermoscopic"].iloc[0]).startswith(str(tmp_path))
    assert os.path.dirname(X["dermoscopic"].iloc[0]) != os.path.dirname(
        X_other["dermoscopic"].iloc[0]
    )
