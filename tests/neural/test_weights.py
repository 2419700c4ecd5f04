"""weights per modality: each image tower from its own weights."""

import pytest
import torch
import torchvision

from skmultimodal import MultimodalLesionClassifier

from ..conftest import FAST_NET, small_tower


def untrained_net(**params):
    # lr=0 keeps every weight where it started (batch-norm statistics aside).
    return MultimodalLesionClassifier(**{
        **FAST_NET, "modalities": ("dermoscopic", "clinical"), "max_epochs": 1, "lr": 0.0,
        **params,
    })


def conv1(clf, modality):
    module = clf.net_.module_
    return module.towers[module.tower_names[modality]][0].conv1.weight


@pytest.fixture(scope="module")
def two_state_dicts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("weights")
    paths, models = {}, {}
    for seed, modality in enumerate(("dermoscopic", "clinical")):
        torch.manual_seed(seed)
        models[modality] = torchvision.models.resnet18(weights=None)
        paths[modality] = str(folder / f"{modality}.pth")
        torch.save(models[modality].state_dict(), paths[modality])
    return paths, models


def test_each_tower_starts_from_its_own_file(lesions, two_state_dicts):
    X, y, _ = lesions
    paths, models = two_state_dicts
    clf = untrained_net(weights=paths).fit(X, y)
    for modality, model in models.items():
        assert torch.equal(conv1(clf, modality), model.conv1.weight)


def test_a_file_for_one_tower_and_random_weights_for_the_other(lesions, two_state_dicts):
    X, y, _ = lesions
    paths, models = two_state_dicts
    clf = untrained_net(weights={"dermoscopic": paths["dermoscopic"], "clinical": None}).fit(X, y)
    assert torch.equal(conv1(clf, "dermoscopic"), models["dermoscopic"].conv1.weight)
    assert not torch.equal(conv1(clf, "clinical"), models["clinical"].conv1.weight)


def test_weights_names_per_modality(lesions):
    # With a module as backbone, "DEFAULT" keeps its parameters, None draws new ones.
    X, y, _ = lesions
    backbone = small_tower()
    clf = untrained_net(
        backbone=backbone, weights={"dermoscopic": "DEFAULT", "clinical": None}
    ).fit(X, y)
    towers = clf.net_.module_.towers
    assert torch.equal(towers["dermoscopic"][0][0].weight, backbone[0].weight)
    assert not torch.equal(towers["clinical"][0][0].weight, backbone[0].weight)


def test_entries_for_modalities_the_net_does_not_use_are_ignored(lesions, two_state_dicts):
    X, y, _ = lesions
    paths, models = two_state_dicts
    clf = untrained_net(modalities=("clinical",), weights=paths).fit(X, y)
    assert torch.equal(conv1(clf, "clinical"), models["clinical"].conv1.weight)


@pytest.mark.parametrize(
    "weights, error, match",
    [
        ({"dermoscopic": None}, ValueError, r"no weights for the \['clinical'\] tower"),
        ({"dermoscopic": None, "clinical": 3}, TypeError, r"\{'clinical': 3\}.*'DEFAULT'"),
        ({"dermoscopic": None, "clinical": None, "metadata": None}, ValueError,
         r"names \['metadata'\]"),
    ],
)
def test_bad_weights_per_modality_fail_before_training(lesions, weights, error, match):
    X, y, _ = lesions
    with pytest.raises(error, match=match):
        untrained_net(weights=weights).fit(X, y)


def test_shared_tower_takes_one_value(lesions, two_state_dicts):
    X, y, _ = lesions
    paths, models = two_state_dicts
    with pytest.raises(ValueError, match="share_towers=True builds one tower"):
        untrained_net(share_towers=True, weights=paths).fit(X, y)
    same = {m: paths["clinical"] for m in paths}
    clf = untrained_net(share_towers=True, weights=same).fit(X, y)
    assert torch.equal(conv1(clf, "dermoscopic"), models["clinical"].conv1.weight)
