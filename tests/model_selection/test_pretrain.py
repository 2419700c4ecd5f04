"""pretrain_tower: a tower trained on public sets, scored on held-out groups, exported."""

import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from skmultimodal.datasets import concat_lesions, make_lesions
from skmultimodal.model_selection._pretrain import pretrain_tower
from skmultimodal.neural._export import exported_weights, tower_description

from ..conftest import small_tower

QUICK = {"backbone": small_tower(), "weights": None, "image_size": 32, "max_epochs": 1,
         "batch_size": 16, "lr": 1e-3, "verbose": 0}


@pytest.fixture(scope="module")
def public(tmp_path_factory):
    """80 synthetic lesions of about 50 patients: (X, y, groups)."""
    return make_lesions(80, image_size=32, return_groups=True, random_state=0,
                        directory=tmp_path_factory.mktemp("public"))


def test_tower_is_scored_on_held_out_patients_and_exported(public, tmp_path, capsys):
    X, y, groups = public
    result = pretrain_tower(X, y, groups=groups, out=tmp_path, test_size=0.25,
                            **{**QUICK, "max_epochs": 2, "verbose": 1})
    assert sorted(result.metrics) == ["auc_cancer", "auc_melanoma", "map", "top1"]
    by_label = pd.Series(groups, index=X.index)
    assert not set(by_label[result.train]) & set(by_label[result.test])
    assert len(result.train) + len(result.test) == len(X)
    assert 0.15 < len(result.test) / len(X) < 0.35
    assert result.paths == {"dermoscopic": str(tmp_path / "dermoscopic.safetensors")}
    assert exported_weights(tmp_path, ("dermoscopic",)) == result.paths
    assert tower_description(result.paths["dermoscopic"])["classes"] == sorted(set(y))
    with open(tmp_path / "pretraining.json") as file:
        summary = json.load(file)
    assert summary["n_train"] == len(result.train) and summary["epochs"] == 2
    assert summary["metrics"]["map"] == pytest.approx(result.metrics["map"])
    printed = capsys.readouterr().out
    assert printed.strip() == result.report
    assert "Held-out scores: top-1" in printed and "s per epoch" in printed


def test_without_a_held_out_set_every_lesion_trains(public):
    X, y, groups = public
    result = pretrain_tower(X, y, groups=groups, test_size=None, **QUICK)
    assert result.metrics == {} and result.paths == {}
    assert list(result.train) == list(X.index) and len(result.test) == 0


def excluded_by(public, tmp_path, exclude):
    X, y, groups = public
    result = pretrain_tower(X, y, groups=groups, test_size=None, exclude=exclude, **QUICK)
    assert set(result.train).isdisjoint(result.excluded)
    return set(result.excluded)


def patient_of(public, position):
    X, _, groups = public
    return set(X.index[groups == groups[position]])


def test_an_excluded_lesion_takes_its_patients_other_lesions_along(public, tmp_path):
    X, _, groups = public
    position = int(np.flatnonzero(pd.Series(groups).duplicated(keep=False))[0])
    assert len(patient_of(public, position)) > 1
    assert excluded_by(public, tmp_path, [X.index[position]]) == patient_of(public, position)


@pytest.mark.parametrize("form", ["group", "image file name", "lesion frame", "text file"])
def test_ids_to_exclude_in_every_form(public, tmp_path, form):
    X, _, groups = public
    if form == "group":
        exclude = [groups[3]]
    elif form == "image file name":
        exclude = [os.path.splitext(os.path.basename(X["dermoscopic"].iloc[3]))[0]]
    elif form == "lesion frame":
        exclude = X.iloc[[3]].reset_index(drop=True)  # known by its image files alone
    else:
        exclude = tmp_path / "ids.txt"
        exclude.write_text(f"\n{X.index[3]}\nsomething_else\n")
    assert excluded_by(public, tmp_path, exclude) == patient_of(public, 3)


def isic_copy(X, folder, names):
    """The frame with its dermoscopic images copied under ISIC archive names."""
    folder.mkdir()
    paths = []
    for path, name in zip(X["dermoscopic"], names):
        paths.append(str(folder / f"{name}.jpg"))
        shutil.copy(path, paths[-1])
    return X.assign(dermoscopic=paths)


def test_an_isic_image_in_two_sets_is_kept_once_and_source_prefixes_match(public, tmp_path):
    X, y, groups = public
    names = [f"ISIC_{i:07d}" for i in range(len(X))]
    ham = isic_copy(X.iloc[:40], tmp_path / "ham", names[:40])
    isic = isic_copy(X.iloc[20:], tmp_path / "isic", names[20:])  # 20 images in both
    pooled = concat_lesions({
        "ham10000": (ham, y[:40], groups[:40]), "isic2019": (isic, y[20:], groups[20:]),
    })
    result = pretrain_tower(
        pooled.data, pooled.target, groups=pooled.groups, source=pooled.source,
        exclude=[X.index[0]], **QUICK,
    )
    assert list(result.duplicates) == [f"isic2019:{label}" for label in X.index[20:40]]
    # The id without its "ham10000:" prefix matches, and takes its patient along.
    assert set(result.excluded) >= {f"ham10000:{X.index[0]}"}
    kept = {*result.train, *result.test}
    assert not kept & {*result.duplicates, *result.excluded}
    assert len(kept) == len(pooled.data) - len(result.duplicates) - len(result.excluded)


def test_lesions_without_the_image_are_left_out(public):
    X, y, groups = public
    X = X.copy()
    X.loc[X.index[:5], "clinical"] = np.nan
    result = pretrain_tower(X, y, groups=groups, modality="clinical", test_size=None, **QUICK)
    assert list(result.train) == list(X.index[5:])
    assert result.summary["n_without_image"] == 5
    assert result.model.modalities_ == ("clinical",)


@pytest.mark.parametrize(
    "arguments, error, match",
    [
        ({"modality": "metadata"}, ValueError, "modality must be one of"),
        ({"modalities": ("dermoscopic",)}, TypeError, "give modality="),
        ({"dermoscopic_column": "dsc"}, ValueError, "no column 'dsc'"),
        ({"exclude": ["everything"]}, None, None),
    ],
)
def test_bad_arguments_fail_before_training(public, arguments, error, match):
    X, y, groups = public
    if error is None:  # every lesion excluded through its one shared group
        groups, error, match = np.full(len(X), "everything"), ValueError, "No lesion is left"
    with pytest.raises(error, match=match):
        pretrain_tower(X, y, groups=groups, **QUICK, **arguments)
