"""Exported towers: export_towers, weights= from the files, exported_weights."""

import json
import os
import shutil

import numpy as np
import pytest
import torch
from torch import nn

from skmultimodal import MultimodalLesionClassifier
from skmultimodal.datasets import make_lesions
from skmultimodal.metrics import lesion_scores
from skmultimodal.neural._export import exported_weights, tower_description

from ..conftest import FAST_NET, small_tower


def net(**params):
    return MultimodalLesionClassifier(**{**FAST_NET, **params})


def tower_state(clf, modality):
    module = clf.net_.module_
    return module.towers[module.tower_names[modality]][0].state_dict()


def assert_same_state(left, right):
    assert left.keys() == right.keys()
    for key in left:
        assert torch.equal(left[key], right[key]), key


@pytest.fixture(scope="module")
def exported(lesions, tmp_path_factory):
    """A two-tower resnet18 net, trained, and the folder its towers were written to."""
    X, y, _ = lesions
    source = net(modalities=("dermoscopic", "clinical")).fit(X, y)
    folder = tmp_path_factory.mktemp("towers")
    return source, source.export_towers(folder), folder


def copy_of(folder, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(folder, target)
    return target


def test_export_writes_weights_and_description_per_modality(exported, lesions):
    _, paths, folder = exported
    assert sorted(os.listdir(folder)) == [
        "clinical.json", "clinical.safetensors", "dermoscopic.json", "dermoscopic.safetensors"
    ]
    assert paths == {m: str(folder / f"{m}.safetensors") for m in ("dermoscopic", "clinical")}
    description = tower_description(paths["clinical"])
    assert description["backbone"] == "resnet18" and description["modality"] == "clinical"
    assert description["image_size"] == 32 and description["n_features"] == 512
    assert description["normalization"] == {
        "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]
    }
    assert description["classes"] == sorted(set(lesions[1]))
    assert description["trained"] is True and description["shared_towers"] is False
    assert description["skmultimodal_version"]


def test_exported_towers_start_a_net_per_modality(exported, lesions):
    X, y, _ = lesions
    source, _, folder = exported
    clf = net(modalities=("dermoscopic", "clinical"), weights=exported_weights(folder),
              freeze_towers=True, augment=False).fit(X, y)
    for modality in ("dermoscopic", "clinical"):
        assert_same_state(tower_state(clf, modality), tower_state(source, modality))


def test_tower_of_another_backbone_is_refused(exported, lesions):
    X, y, _ = lesions
    _, paths, _ = exported
    for backbone in ("resnet34", "timm:resnet18"):
        with pytest.raises(ValueError, match=rf"exported from backbone 'resnet18', not "
                           rf"'{backbone}'.*nothing was loaded.*backbone='resnet18'"):
            net(modalities=("dermoscopic",), backbone=backbone,
                weights=paths["dermoscopic"]).fit(X, y)
    with pytest.raises(ValueError, match="backbone is a module.*backbone='resnet18'"):
        net(modalities=("dermoscopic",), backbone=small_tower(),
            weights=paths["dermoscopic"]).fit(X, y)


def test_module_backbone_exports_and_needs_the_same_module(lesions, tmp_path):
    X, y, _ = lesions
    source = net(modalities=("dermoscopic",), backbone=small_tower(), weights=None).fit(X, y)
    path = source.export_towers(tmp_path)["dermoscopic"]
    description = tower_description(path)
    assert description["backbone"] == "module"
    assert description["module_class"] == "torch.nn.modules.container.Sequential"
    reused = net(modalities=("dermoscopic",), backbone=small_tower(), weights=path,
                 freeze_towers=True).fit(X, y)
    assert_same_state(tower_state(reused, "dermoscopic"), tower_state(source, "dermoscopic"))
    with pytest.raises(ValueError, match=r"from a torch.nn.Module backbone.*not 'resnet18'"):
        net(modalities=("dermoscopic",), weights=path).fit(X, y)

    class Other(nn.Sequential):
        pass

    with pytest.raises(ValueError, match="from a torch.nn.modules.container.Sequential "
                       "module, but the backbone is a .*Other"):
        net(modalities=("dermoscopic",), backbone=Other(*small_tower()), weights=path).fit(X, y)


def test_shared_tower_is_written_under_each_modality(lesions, tmp_path):
    X, y, _ = lesions
    clf = net(backbone=small_tower(), weights=None, share_towers=True).fit(X, y)
    paths = clf.export_towers(tmp_path)
    descriptions = {m: tower_description(p) for m, p in paths.items()}
    assert sorted(paths) == ["clinical", "dermoscopic"]
    assert {d["sha256"] for d in descriptions.values()} == {descriptions["clinical"]["sha256"]}
    assert all(d["shared_towers"] for d in descriptions.values())


def test_frozen_towers_are_exported_as_not_trained(lesions, tmp_path):
    X, y, _ = lesions
    clf = net(modalities=("clinical",), freeze_towers=True, augment=False).fit(X, y)
    assert tower_description(clf.export_towers(tmp_path)["clinical"])["trained"] is False


def test_metadata_only_model_has_no_tower_to_export(lesions, tmp_path):
    X, y, _ = lesions
    clf = net(modalities=("metadata",)).fit(X, y)
    with pytest.raises(ValueError, match="no image tower to export"):
        clf.export_towers(tmp_path)


def test_weights_file_of_another_export_is_refused(exported, lesions, tmp_path):
    X, y, _ = lesions
    folder = copy_of(exported[2], tmp_path)
    shutil.copy(folder / "clinical.safetensors", folder / "dermoscopic.safetensors")
    with pytest.raises(ValueError, match="dermoscopic.safetensors' is not the one its "
                       "description.*SHA-256"):
        net(modalities=("dermoscopic",), weights=str(folder / "dermoscopic.safetensors")).fit(X, y)


def test_tower_used_at_another_image_size_warns(exported, lesions):
    X, y, _ = lesions
    _, paths, _ = exported
    with pytest.warns(UserWarning, match="trained on 32-pixel images and is now used at 48"):
        net(modalities=("dermoscopic",), image_size=48, weights=paths["dermoscopic"]).fit(X, y)


def test_normalisation_comes_from_the_description(exported, lesions, tmp_path):
    X, y, _ = lesions
    folder = copy_of(exported[2], tmp_path)
    description = tower_description(folder / "dermoscopic.safetensors")
    description["normalization"] = {"mean": [0.5] * 3, "std": [0.25] * 3}
    (folder / "dermoscopic.json").write_text(json.dumps(description))
    weights = {"dermoscopic": str(folder / "dermoscopic.safetensors"), "clinical": None}
    clf = net(weights=weights).fit(X, y)
    assert torch.allclose(clf.net_.module_.mean.flatten(), torch.full((3,), 0.5 * 255))
    assert torch.allclose(clf.net_.module_.std.flatten(), torch.full((3,), 0.25 * 255))
    # Two towers whose weights expect other normalisations cannot share the net's.
    weights["clinical"] = str(folder / "clinical.safetensors")
    with pytest.raises(ValueError, match=r"dermoscopic tower's weights expect.*\(0.5, 0.5, "
                       r"0.5\).*clinical tower's with mean \(0.485"):
        net(weights=weights).fit(X, y)


def test_exported_weights_fill_missing_towers(exported, tmp_path):
    folder = copy_of(exported[2], tmp_path)
    for name in ("clinical.safetensors", "clinical.json"):
        os.remove(folder / name)
    dermoscopic = str(folder / "dermoscopic.safetensors")
    assert exported_weights(folder, substitute="dermoscopic") == {
        "dermoscopic": dermoscopic, "clinical": dermoscopic
    }
    with pytest.warns(UserWarning, match="no clinical.safetensors.*weights='DEFAULT'.*"
                      "substitute='dermoscopic'"):
        weights = exported_weights(folder, default="DEFAULT")
    assert weights == {"dermoscopic": dermoscopic, "clinical": "DEFAULT"}
    assert exported_weights(folder, ("dermoscopic", "metadata")) == {"dermoscopic": dermoscopic}
    assert exported_weights(folder, "dermoscopic") == {"dermoscopic": dermoscopic}


@pytest.mark.parametrize(
    "arguments, error, match",
    [
        ({"substitute": "clinical"}, FileNotFoundError, "no clinical.safetensors"),
        ({"substitute": "metadata"}, ValueError, "substitute must be one of"),
        ({"modalities": ("dermoscopic", "xray")}, ValueError, r"Unknown modalities \['xray'\]"),
    ],
)
def test_exported_weights_refuse_what_is_not_there(exported, tmp_path, arguments, error, match):
    folder = copy_of(exported[2], tmp_path)
    os.remove(folder / "clinical.safetensors")
    with pytest.raises(error, match=match):
        exported_weights(folder, **arguments)


def test_exported_weights_of_a_folder_without_towers(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        exported_weights(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="holds no exported tower"):
        exported_weights(tmp_path)
    with pytest.raises(FileNotFoundError, match="no tower description"):
        tower_description(tmp_path / "dermoscopic.safetensors")


def wide_tower():
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, stride=2), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2), nn.BatchNorm2d(32), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )


def test_pretrained_tower_frozen_learns_like_its_source_and_beats_a_random_one(tmp_path):
    # Trained on one data set, reused frozen on another, from 100 lesions.
    public, labels = make_lesions(200, image_size=32, random_state=1,
                                  directory=tmp_path / "public")
    paired, y = make_lesions(200, image_size=32, random_state=2, directory=tmp_path / "paired")
    common = {"modalities": ("dermoscopic",), "backbone": wide_tower(), "image_size": 32,
              "embedding_dims": (), "batch_size": 32, "random_state": 0}
    source = MultimodalLesionClassifier(weights=None, augment=False, max_epochs=12, lr=3e-3,
                                        **common)
    path = source.fit(public, labels).export_towers(tmp_path / "towers")["dermoscopic"]
    train, test = np.arange(100), np.arange(100, 200)

    def held_out_map(model):
        proba = model.predict_proba(paired.iloc[test])
        return lesion_scores(y[test], proba, model.classes_)["map"]

    frozen = {}
    for name, weights in (("exported", path), ("random", None)):
        model = MultimodalLesionClassifier(
            weights=weights, freeze_towers=True, augment=False, max_epochs=30, lr=1e-2,
            **common,
        )
        frozen[name] = held_out_map(model.fit(paired.iloc[train], y[train]))
    # Measured: source 0.565, exported 0.575, random 0.483.
    assert frozen["exported"] >= held_out_map(source) - 0.05
    assert frozen["exported"] > frozen["random"] + 0.05
