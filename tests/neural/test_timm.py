"""timm models as towers: backbone="timm:<name>"."""

import sys
import time

import numpy as np
import pytest
import torch

from skmultimodal import MultimodalLesionClassifier
from skmultimodal.neural import (
    PretrainedWeightsUnavailable,
    build_tower,
    get_feature_store,
)

from ..conftest import FAST_NET

timm = pytest.importorskip("timm")
huggingface_hub = pytest.importorskip("huggingface_hub")


def test_timm_tower_reads_width_and_normalisation_from_timm():
    tower, n_features, (mean, std) = build_tower("timm:vit_tiny_patch16_224", None, 32)
    assert n_features == 192
    assert mean == std == (0.5, 0.5, 0.5)  # this ViT's pretrained config
    assert tower(torch.zeros(2, 3, 32, 32)).shape == (2, 192)


def test_timm_transformer_is_built_for_the_image_size():
    # A 224-pixel ViT gets position embeddings for 32-pixel images (2x2 patches).
    tower, _, _ = build_tower("timm:vit_tiny_patch16_224", None, 32)
    assert tower[0].pos_embed.shape[1] == 1 + 2 * 2


def test_unknown_timm_model_suggests_names():
    with pytest.raises(ValueError, match=r"Did you mean \['timm:resnet18'"):
        build_tower("timm:resnt18", None, 32)


def test_timm_weights_name_other_than_default_is_refused():
    with pytest.raises(ValueError, match="neither 'DEFAULT' nor an existing file.*tag"):
        build_tower("timm:resnet18", "IMAGENET1K_V1", 32)


def test_without_timm_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "timm", None)
    with pytest.raises(ImportError, match=r"pip install skmultimodal\[timm\]"):
        build_tower("timm:resnet18", None, 32)


def test_timm_resnet_trains_from_random_weights(lesions):
    X, y, _ = lesions
    params = {**FAST_NET, "backbone": "timm:resnet18", "max_epochs": 4}
    clf = MultimodalLesionClassifier(("dermoscopic",), **params).fit(X, y)
    assert isinstance(clf.net_.module_.towers["dermoscopic"][0], timm.models.ResNet)
    losses = clf.history_[:, "train_loss"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def test_frozen_timm_tower_computes_its_features_once(lesions):
    X, y, _ = lesions
    params = {**FAST_NET, "backbone": "timm:resnet18", "freeze_towers": True,
              "augment": False}
    store = get_feature_store()
    before = store.n_computed
    clf = MultimodalLesionClassifier(("dermoscopic",), **params).fit(X, y)
    assert store.n_computed - before == len(X)
    clf.set_params(embedding_dims=(8,)).fit(X, y)
    clf.predict_proba(X)
    assert store.n_computed - before == len(X)


@pytest.fixture
def empty_caches(monkeypatch, tmp_path):
    """Empty hub and torch caches: the pretrained weights are nowhere on this machine."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "torch"))
    return tmp_path


def test_default_weights_with_hub_offline_fail_at_once(empty_caches, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    with pytest.raises(PretrainedWeightsUnavailable) as error:
        build_tower("timm:resnet18", "DEFAULT", 32)
    assert time.perf_counter() - started < 5
    message = str(error.value)
    assert "timm/resnet18.a1_in1k" in message and "HF_HUB_OFFLINE is set" in message
    assert "hf download timm/resnet18.a1_in1k model.safetensors" in message
    assert "weights='DIR/model.safetensors'" in message and "weights=None" in message


def test_default_weights_from_an_unreachable_server_fail_fast(empty_caches, monkeypatch):
    # A real connection attempt, refused at once (nothing listens on port 9),
    # as on a machine without network, where name resolution fails.
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "http://127.0.0.1:9")
    started = time.perf_counter()
    with pytest.raises(PretrainedWeightsUnavailable, match=r"127\.0\.0\.1:9 cannot be reached"):
        build_tower("timm:resnet18", "DEFAULT", 32)
    assert time.perf_counter() - started < 10


def test_classifier_with_timm_default_weights_offline_never_trains(
    lesions, empty_caches, monkeypatch
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    X, y, _ = lesions
    params = {**FAST_NET, "backbone": "timm:resnet18", "weights": "DEFAULT"}
    with pytest.raises(PretrainedWeightsUnavailable):
        MultimodalLesionClassifier(("dermoscopic",), **params).fit(X, y)


def test_default_weights_in_the_hub_cache_need_no_network(empty_caches, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from safetensors.torch import save_file

    # The layout the hub client writes: refs/main names the snapshot.
    reference = timm.create_model("resnet18", pretrained=False)
    repository = empty_caches / "hub" / "models--timm--resnet18.a1_in1k"
    snapshot = repository / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (repository / "refs").mkdir()
    (repository / "refs" / "main").write_text("0" * 40)
    save_file(reference.state_dict(), snapshot / "model.safetensors")
    tower, n_features, _ = build_tower("timm:resnet18", "DEFAULT", 32)
    assert n_features == 512
    assert torch.equal(tower[0].conv1.weight, reference.conv1.weight)


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_timm_weights_file_loads_with_or_without_classifier(tmp_path, suffix):
    from safetensors.torch import save_file

    reference = timm.create_model("resnet18", pretrained=False)
    path = str(tmp_path / f"resnet18{suffix}")
    if suffix == ".pth":
        torch.save(reference.state_dict(), path)
    else:
        headless = {k: v for k, v in reference.state_dict().items() if not k.startswith("fc.")}
        save_file(headless, path)
    tower, _, _ = build_tower("timm:resnet18", path, 32)
    assert torch.equal(tower[0].layer1[0].conv1.weight, reference.layer1[0].conv1.weight)


def test_transformer_file_of_another_size_is_resampled_by_timm(tmp_path):
    reference = timm.create_model("vit_tiny_patch16_224", pretrained=False, num_classes=0)
    path = str(tmp_path / "vit.pth")
    torch.save(reference.state_dict(), path)
    tower, _, _ = build_tower("timm:vit_tiny_patch16_224", path, 64)
    assert tower[0].pos_embed.shape == (1, 1 + 4 * 4, 192)
    assert torch.equal(tower[0].blocks[0].attn.qkv.weight, reference.blocks[0].attn.qkv.weight)
    assert tower(torch.zeros(2, 3, 64, 64)).shape == (2, 192)


def test_timm_file_of_another_architecture_is_refused(tmp_path):
    path = str(tmp_path / "resnet34.pth")
    torch.save(timm.create_model("resnet34", pretrained=False).state_dict(), path)
    with pytest.raises(ValueError, match="resnet34.pth does not fit.*unexpected"):
        build_tower("timm:resnet18", path, 32)
