import urllib.error

import pytest
import torch
import torchvision

from skmultimodal.neural import PretrainedWeightsUnavailable, build_tower


@pytest.mark.parametrize(
    "name, width", [("resnet18", 512), ("resnet50", 2048), ("mobilenet_v3_small", 1024)]
)
def test_tower_drops_the_classifier_and_reads_its_width(name, width):
    tower, n_features, (mean, std) = build_tower(name, None, 32)
    assert n_features == width
    assert tower(torch.zeros(2, 3, 32, 32)).shape == (2, width)
    assert mean == (0.485, 0.456, 0.406)


def test_unknown_backbone_suggests_names():
    with pytest.raises(ValueError, match="Did you mean.*'resnet18'"):
        build_tower("resnet81", None, 32)


def test_local_state_dict_is_loaded_with_or_without_the_classifier(tmp_path):
    source = torchvision.models.resnet18(weights=None)
    full = tmp_path / "full.pth"
    torch.save(source.state_dict(), full)
    headless = tmp_path / "headless.pth"
    torch.save(
        {"state_dict": {k: v for k, v in source.state_dict().items() if not k.startswith("fc.")}},
        headless,
    )
    for path in (full, headless):
        tower, _, _ = build_tower("resnet18", str(path), 32)
        assert torch.equal(tower[0].conv1.weight, source.conv1.weight)


def test_state_dict_of_another_architecture_is_refused(tmp_path):
    path = tmp_path / "resnet34.pth"
    torch.save(torchvision.models.resnet34(weights=None).state_dict(), path)
    with pytest.raises(ValueError, match="resnet34.pth does not fit.*unexpected"):
        build_tower("resnet18", str(path), 32)


def test_missing_weights_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.pth"):
        build_tower("resnet18", str(tmp_path / "nothere.pth"), 32)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """An empty torch cache and a download that fails as it does offline."""
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))

    def no_network(url, *args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    return tmp_path / "hub" / "checkpoints"


def test_offline_pretrained_weights_fail_clearly(offline):
    with pytest.raises(PretrainedWeightsUnavailable) as error:
        build_tower("resnet18", "DEFAULT", 32)
    message = str(error.value)
    assert "ResNet18_Weights.IMAGENET1K_V1" in message
    assert str(offline / "resnet18-f37072fd.pth") in message
    assert "weights=None" in message and "weights='/path/to/state_dict.pth'" in message


def test_pretrained_weights_in_the_torch_cache_need_no_download(offline):
    reference = torchvision.models.resnet18(weights=None)
    offline.mkdir(parents=True)
    torch.save(reference.state_dict(), offline / "resnet18-f37072fd.pth")
    tower, _, _ = build_tower("resnet18", "IMAGENET1K_V1", 32)
    assert torch.equal(tower[0].conv1.weight, reference.conv1.weight)


def test_classifier_fit_never_falls_back_to_random_weights(offline, tmp_path):
    import pandas as pd
    from PIL import Image

    from skmultimodal import MultimodalLesionClassifier

    paths = []
    for i in range(4):
        paths.append(str(tmp_path / f"{i}.png"))
        Image.new("RGB", (8, 8), (i * 60, 0, 0)).save(paths[-1])
    X = pd.DataFrame({"dermoscopic": paths})
    clf = MultimodalLesionClassifier(("dermoscopic",), backbone="resnet18", image_size=32)
    with pytest.raises(PretrainedWeightsUnavailable):
        clf.fit(X, ["nevus", "bcc"] * 2)


def test_safetensors_file_is_loaded(tmp_path):
    from safetensors.torch import save_file

    source = torchvision.models.resnet18(weights=None)
    path = tmp_path / "resnet18.safetensors"
    save_file(source.state_dict(), path)
    tower, _, _ = build_tower("resnet18", str(path), 32)
    assert torch.equal(tower[0].layer4[1].bn2.running_var, source.layer4[1].bn2.running_var)


def test_unreadable_safetensors_file_is_named(tmp_path):
    path = tmp_path / "broken.safetensors"
    path.write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match="broken.safetensors' as a safetensors file"):
        build_tower("resnet18", str(path), 32)


def test_folder_of_exported_towers_given_as_weights_points_to_exported_weights(tmp_path):
    (tmp_path / "dermoscopic.safetensors").write_bytes(b"")
    with pytest.raises(IsADirectoryError, match=r"exported_weights\(directory\)"):
        build_tower("resnet18", str(tmp_path), 32)


def test_unknown_backbone_mentions_timm_names():
    with pytest.raises(ValueError, match="'timm:<name>'"):
        build_tower("convnext_atto", None, 32)
