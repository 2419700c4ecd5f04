"""save_model / load_model: identical models back, no pickle, damaged files refused."""

import copy
import hashlib
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch
import torchvision
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback

from skmultimodal import (
    MetadataForestClassifier,
    MultimodalLesionClassifier,
    load_model,
    save_model,
)

from .conftest import FAST_NET, small_tower

# One epoch is enough: a round trip must reproduce whatever was trained.
NET = {**FAST_NET, "max_epochs": 1}

SAFETENSORS_DTYPES = {"BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64",
                      "F16", "BF16", "F32", "F64"}


def fast_net(**params):
    return MultimodalLesionClassifier(**{**NET, **params})


@pytest.fixture(scope="module")
def saved_forest(lesions, tmp_path_factory):
    X, y, _ = lesions
    forest = MetadataForestClassifier(n_estimators=5, min_samples_leaf=5, random_state=0)
    path = tmp_path_factory.mktemp("forest") / "forest.skmodel"
    save_model(forest.fit(X, y), path)
    return forest, path


@pytest.fixture(scope="module")
def saved_net(lesions, tmp_path_factory):
    X, y, _ = lesions
    net = fast_net(modalities=("dermoscopic", "metadata")).fit(X, y)
    path = tmp_path_factory.mktemp("net") / "net.skmodel"
    save_model(net, path)
    return net, path


def same(a, b):
    """Equal values, arrays and random states compared by content, types too."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and bool(np.all(a == b))
    if isinstance(a, np.random.RandomState):
        return all(same(x, y) for x, y in zip(a.get_state(), b.get_state(), strict=True))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


def assert_same_net(loaded, original, X):
    assert type(loaded) is MultimodalLesionClassifier
    assert_array_equal(loaded.predict_proba(X), original.predict_proba(X))
    assert same(loaded.get_params(), original.get_params())
    for name in ("classes_", "n_features_in_", "feature_names_in_", "modalities_",
                 "optional_modalities_", "image_columns_", "image_size_",
                 "metadata_columns_", "device_", "fit_id_", "_frozen_weights"):
        assert same(getattr(loaded, name), getattr(original, name)), name
    assert loaded.history_ == original.history_
    assert loaded.history_ is loaded.net_.history
    state, expected = loaded.net_.module_.state_dict(), original.net_.module_.state_dict()
    assert list(state) == list(expected)
    assert all(torch.equal(state[k], expected[k]) for k in state)
    for name in ("batch_size", "lr", "max_epochs", "mixed_precision", "shuffle_seed",
                 "modality_dropout"):
        assert getattr(loaded.net_, name) == getattr(original.net_, name), name
    weight = original.net_.criterion__weight
    if weight is None:
        assert loaded.net_.criterion__weight is None
    else:
        assert torch.equal(loaded.net_.criterion__weight, weight)
    encoder = original.metadata_encoder_
    if encoder is None:
        assert loaded.metadata_encoder_ is None
    else:
        assert_array_equal(
            loaded.metadata_encoder_.transform(X[original.metadata_columns_]),
            encoder.transform(X[original.metadata_columns_]),
        )


# -- round trips -------------------------------------------------------------------


NET_VARIANTS = {
    "three modalities": {},
    "dermoscopic alone, no embedding network": {
        "modalities": ("dermoscopic",), "embedding_dims": ()},
    "metadata alone": {"modalities": ("metadata",)},
    "shared towers, class weights": {
        "share_towers": True, "class_weight": {"melanoma": 3.0, "bcc": 2.0}},
    "frozen towers, augmented views": {
        "freeze_towers": True, "augmented_views": 2, "class_weight": "balanced"},
    "modality dropout, dropout": {
        "modalities": ("clinical", "metadata"), "modality_dropout": 0.3, "dropout": 0.2},
    "early stopping": {
        "modalities": ("metadata",), "early_stopping": True, "max_epochs": 4,
        "validation_fraction": 0.5, "n_iter_no_change": 1, "lr_schedule": "constant"},
}


@pytest.mark.parametrize("params", NET_VARIANTS.values(), ids=NET_VARIANTS.keys())
def test_net_round_trip_predicts_identically(lesions, tmp_path, params):
    X, y, groups = lesions
    net = fast_net(**params).fit(X, y, groups=groups)
    save_model(net, tmp_path / "net.skmodel")
    assert_same_net(load_model(tmp_path / "net.skmodel"), net, X)


def test_net_of_incomplete_lesions_keeps_its_stand_ins(lesions, tmp_path):
    X, y, _ = lesions
    X = X.copy()
    X.loc[X.index[::3], "clinical"] = None
    net = fast_net(modalities=("dermoscopic", "clinical")).fit(X, y)
    assert net.optional_modalities_ == ("clinical",)
    save_model(net, tmp_path / "net.skmodel")
    loaded = load_model(tmp_path / "net.skmodel")
    assert_same_net(loaded, net, X)
    assert "clinical" in loaded.net_.module_.stand_ins


def test_forest_round_trip_predicts_identically(lesions, saved_forest):
    X, _, _ = lesions
    forest, path = saved_forest
    loaded = load_model(path)
    assert type(loaded) is MetadataForestClassifier
    assert_array_equal(loaded.predict_proba(X), forest.predict_proba(X))
    assert_array_equal(loaded.predict(X), forest.predict(X))
    assert_array_equal(loaded.feature_importances_, forest.feature_importances_)
    assert same(loaded.get_params(), forest.get_params())
    assert same(loaded.classes_, forest.classes_)
    assert same(loaded.feature_names_in_, forest.feature_names_in_)
    for original, tree in zip(forest.forest_.estimators_, loaded.forest_.estimators_):
        assert same(tree.get_params(), original.get_params())
        for field in ("children_left", "children_right", "feature", "threshold",
                      "value", "impurity", "n_node_samples"):
            assert_array_equal(getattr(tree.tree_, field), getattr(original.tree_, field))


def test_forest_with_ordinal_categories_and_integer_labels(lesions, tmp_path):
    X, y, _ = lesions
    labels = np.unique(y, return_inverse=True)[1]
    forest = MetadataForestClassifier(
        n_estimators=4, categorical="ordinal", class_weight="balanced",
        metadata_columns=["age", "site"], random_state=1,
    ).fit(X, labels)
    save_model(forest, tmp_path / "forest.skmodel")
    loaded = load_model(tmp_path / "forest.skmodel")
    assert same(loaded.classes_, forest.classes_)
    assert_array_equal(loaded.predict_proba(X), forest.predict_proba(X))


def test_random_state_instance_is_saved_with_its_exact_state(lesions, tmp_path):
    X, y, _ = lesions
    forest = MetadataForestClassifier(
        n_estimators=3, random_state=np.random.RandomState(7)).fit(X, y)
    net = fast_net(modalities=("metadata",), random_state=np.random.RandomState(7)).fit(X, y)
    for model in (forest, net):
        save_model(model, tmp_path / "model.skmodel")
        loaded = load_model(tmp_path / "model.skmodel")
        assert loaded.random_state is not model.random_state
        assert same(loaded.random_state, model.random_state)
        assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_loaded_net_refits_as_the_original_was_fitted(lesions, tmp_path):
    X, y, _ = lesions
    net = fast_net(modalities=("metadata",), max_epochs=2).fit(X, y)
    save_model(net, tmp_path / "net.skmodel")
    refitted = clone(load_model(tmp_path / "net.skmodel")).fit(X, y)
    assert_array_equal(refitted.predict_proba(X), net.predict_proba(X))
    assert load_model(tmp_path / "net.skmodel").fit(X, y).history_[:, "epoch"] == [1, 2]


def test_parameters_changed_after_fit_are_saved_as_they_are(saved_net, lesions, tmp_path):
    """The net is rebuilt from what was trained, not from the changed parameters."""
    X, _, _ = lesions
    net = copy.deepcopy(saved_net[0])
    net.set_params(embedding_dims=(8, 8), image_size=48, dropout=0.5)
    save_model(net, tmp_path / "net.skmodel")
    loaded = load_model(tmp_path / "net.skmodel")
    assert_same_net(loaded, net, X)
    assert loaded.embedding_dims == (8, 8)


def test_a_backbone_changed_after_fit_is_refused_at_save(saved_net, tmp_path):
    net = copy.deepcopy(saved_net[0]).set_params(backbone="resnet34")
    with pytest.raises(ValueError, match="was `backbone` changed"):
        save_model(net, tmp_path / "net.skmodel")
    assert not os.listdir(tmp_path)


def test_timm_backbone_round_trip(lesions, tmp_path):
    pytest.importorskip("timm")
    X, y, _ = lesions
    net = fast_net(modalities=("dermoscopic",), backbone="timm:resnet10t").fit(X, y)
    save_model(net, tmp_path / "net.skmodel")
    assert_same_net(load_model(tmp_path / "net.skmodel"), net, X)


# -- offline, and on another device --------------------------------------------------


def test_pretrained_weights_are_never_fetched_at_load(
    saved_net, lesions, tmp_path, monkeypatch
):
    """Weights named by the parameter (a torchvision name, a file) are not read."""
    X, _, _ = lesions
    weights_file = tmp_path / "resnet18.pth"
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), weights_file)
    # As if fitted from these weights: only the parameter matters to a file.
    net = copy.deepcopy(saved_net[0]).set_params(weights=str(weights_file))
    save_model(net, tmp_path / "from_file.skmodel")
    save_model(net.set_params(weights="DEFAULT"), tmp_path / "named.skmodel")
    weights_file.unlink()

    def offline(*args, **kwargs):
        raise AssertionError("load_model fetched weights")

    monkeypatch.setattr(torchvision.models.WeightsEnum, "get_state_dict", offline)
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    monkeypatch.setattr(torch, "load", offline)
    for name in ("from_file.skmodel", "named.skmodel"):
        loaded = load_model(tmp_path / name)
        assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))


def test_net_trained_on_gpu_loads_with_its_layout_on_the_cpu(saved_net, lesions, tmp_path):
    """What a CUDA fit leaves: channels-last weights on the CPU, device_ 'cuda'."""
    X, _, _ = lesions
    net = copy.deepcopy(saved_net[0])
    module = net.net_.module_
    module.channels_last = True
    module.to(memory_format=torch.channels_last)
    net.device_ = "cuda"
    save_model(net, tmp_path / "net.skmodel")
    loaded = load_model(tmp_path / "net.skmodel")
    assert_same_net(loaded, net, X)
    assert loaded.device_ == "cuda"
    assert loaded.net_.device == "cpu"
    conv = loaded.net_.module_.towers["dermoscopic"][0].conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert conv.device.type == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_net_fitted_on_gpu_loads_on_a_cpu_only_machine(lesions, tmp_path):
    X, y, _ = lesions
    net = fast_net(device="cuda").fit(X, y)
    assert next(net.net_.module_.parameters()).device.type == "cpu"
    net.set_params(device="cpu")
    np.save(tmp_path / "expected.npy", net.predict_proba(X))
    save_model(net, tmp_path / "net.skmodel")
    X.to_csv(tmp_path / "X.csv")
    script = (
        "import numpy, pandas, torch\n"
        "from skmultimodal import load_model\n"
        "assert not torch.cuda.is_available()\n"
        f"net = load_model({str(tmp_path / 'net.skmodel')!r})\n"
        f"X = pandas.read_csv({str(tmp_path / 'X.csv')!r}, index_col=0)\n"
        f"expected = numpy.load({str(tmp_path / 'expected.npy')!r})\n"
        "assert net.device_.startswith('cuda'), net.device_\n"
        "assert numpy.array_equal(net.predict_proba(X), expected)\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# -- what cannot be saved --------------------------------------------------------------


def test_a_module_as_backbone_is_refused(lesions, tmp_path):
    X, y, _ = lesions
    net = fast_net(modalities=("dermoscopic",), backbone=small_tower(),
                   weights="DEFAULT").fit(X, y)
    with pytest.raises(ValueError, match="backbone is a torch.nn.Module"):
        save_model(net, tmp_path / "net.skmodel")
    assert not os.listdir(tmp_path)


class EpochCounter(Callback):
    def on_epoch_end(self, net, **kwargs):
        net.history.record("counted", len(net.history))


def test_callbacks_are_refused_until_unset(lesions, tmp_path):
    X, y, _ = lesions
    net = fast_net(modalities=("metadata",), callbacks=[EpochCounter()]).fit(X, y)
    with pytest.raises(ValueError, match="set_params\\(callbacks=None\\)"):
        save_model(net, tmp_path / "net.skmodel")
    save_model(net.set_params(callbacks=None), tmp_path / "net.skmodel")
    loaded = load_model(tmp_path / "net.skmodel")
    assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    assert loaded.history_[:, "counted"] == net.history_[:, "counted"] == [1]


def test_other_objects_and_unfitted_estimators_are_refused(lesions, tmp_path):
    X, y, _ = lesions

    class MyForest(MetadataForestClassifier):
        pass

    for model in (MyForest(n_estimators=2).fit(X, y),
                  make_pipeline(MetadataForestClassifier(n_estimators=2)).fit(X, y)):
        with pytest.raises(TypeError, match="save_model saves"):
            save_model(model, tmp_path / "model.skmodel")
    with pytest.raises(NotFittedError):
        save_model(MetadataForestClassifier(), tmp_path / "model.skmodel")
    forest = MetadataForestClassifier(n_estimators=2).fit(X, y)
    forest.calibration_ = "something the library does not know"
    with pytest.raises(ValueError, match="calibration_"):
        save_model(forest, tmp_path / "model.skmodel")
    assert not os.listdir(tmp_path)


def test_save_replaces_a_file_whole(lesions, tmp_path):
    X, y, _ = lesions
    target = tmp_path / "model.skmodel"
    target.write_bytes(b"an older model")
    forest = MetadataForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    save_model(forest, target)
    assert os.listdir(tmp_path) == ["model.skmodel"]
    assert_array_equal(load_model(target).predict_proba(X), forest.predict_proba(X))
    save_model(forest, tmp_path / "again.skmodel")
    assert (tmp_path / "again.skmodel").read_bytes() == target.read_bytes()


# -- no pickle -----------------------------------------------------------------------


def test_loading_unpickles_nothing(saved_net, saved_forest, lesions, monkeypatch):
    X, _, _ = lesions
    unpickled = []
    watching = [True]

    def hook(event, args):
        if watching[0] and event == "pickle.find_class":
            unpickled.append(args)

    sys.addaudithook(hook)  # stays for the process; off outside this test

    def refuse(*args, **kwargs):
        raise AssertionError("load_model unpickled something")

    for module, name in [(pickle, "loads"), (pickle, "load"), (pickle, "Unpickler"),
                         (pickle, "_Unpickler"), (torch, "load"), (np, "load")]:
        monkeypatch.setattr(module, name, refuse)
    try:
        for original, path in (saved_net, saved_forest):
            loaded = load_model(path)
            assert_array_equal(loaded.predict_proba(X), original.predict_proba(X))
    finally:
        watching[0] = False
    assert unpickled == []


@pytest.mark.parametrize("which", ["net", "forest"])
def test_the_file_is_json_and_safetensors_only(which, saved_net, saved_forest):
    _, path = saved_net if which == "net" else saved_forest
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert names[0] == "manifest.json"
        expected = {"manifest.json", "arrays.safetensors"}
        assert set(names) == expected | ({"weights.safetensors"} if which == "net" else set())
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
        manifest = archive.read("manifest.json")
        json.loads(manifest)
        headers = [manifest]
        for name in names[1:]:
            member = archive.read(name)
            assert not member.startswith(b"\x80")  # pickle's protocol opcode
            size = struct.unpack("<Q", member[:8])[0]
            header = json.loads(member[8 : 8 + size])
            header.pop("__metadata__", None)
            assert {entry["dtype"] for entry in header.values()} <= SAFETENSORS_DTYPES
            end = max(entry["data_offsets"][1] for entry in header.values())
            assert 8 + size + end == len(member)
            headers.append(member[: 8 + size])
    for text in headers:
        for marker in (b"pickle", b"torch.load", b"data.pkl", b"__reduce__"):
            assert marker not in text
    assert b"data.pkl" not in data and b"torch.load" not in data


def test_manifest_records_versions_and_member_digests(saved_net):
    _, path = saved_net
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for name, entry in manifest["members"].items():
            member = archive.read(name)
            assert entry == {"size": len(member),
                             "sha256": hashlib.sha256(member).hexdigest()}
    assert manifest["format_version"] == 1
    assert manifest["estimator"] == "MultimodalLesionClassifier"
    assert {"skmultimodal", "scikit-learn", "torch", "safetensors"} <= set(manifest["versions"])
    assert manifest["params"]["backbone"] == "resnet18"


# -- damaged and foreign files ---------------------------------------------------------


def test_every_flipped_byte_is_refused(lesions, tmp_path):
    """Any single changed byte, in any member or in the zip's own structure."""
    X, y, _ = lesions
    forest = MetadataForestClassifier(n_estimators=2, min_samples_leaf=20,
                                      metadata_columns=["age"], random_state=0)
    path = tmp_path / "small.skmodel"
    save_model(forest.fit(X, y), path)
    data = path.read_bytes()
    damaged = tmp_path / "damaged.skmodel"
    # Every byte of the zip's local header and manifest start, of its central
    # directory, end record and checksum; every 5th byte between.
    edges = set(range(1024)) | set(range(len(data) - 1024, len(data)))
    for position in sorted(edges | set(range(0, len(data), 5))):
        flipped = bytearray(data)
        flipped[position] ^= 0x01 << (position % 8)
        damaged.write_bytes(flipped)
        with pytest.raises(ValueError):
            load_model(damaged)


def test_flipped_bytes_across_a_net_file_are_refused(saved_net, tmp_path):
    _, path = saved_net
    data = path.read_bytes()
    damaged = tmp_path / "damaged.skmodel"
    positions = np.linspace(0, len(data) - 1, 24).astype(int)
    for position in positions:
        flipped = bytearray(data)
        flipped[position] ^= 0xFF
        damaged.write_bytes(flipped)
        with pytest.raises(ValueError, match="damaged|not a complete"):
            load_model(damaged)


@pytest.mark.parametrize("keep", [0, 1, 30, 0.5, -1, -30])
def test_a_truncated_file_is_refused(saved_forest, tmp_path, keep):
    _, path = saved_forest
    data = path.read_bytes()
    keep = int(keep * len(data)) if isinstance(keep, float) else keep
    cut = tmp_path / "cut.skmodel"
    cut.write_bytes(data[:keep])
    with pytest.raises(ValueError, match="not a complete skmultimodal model file"):
        load_model(cut)


def test_files_that_are_not_model_files_are_refused(tmp_path, saved_forest):
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("manifest.json", "{}")
    for data in (b"", b"hello", other.read_bytes()):
        (tmp_path / "model.skmodel").write_bytes(data)
        with pytest.raises(ValueError, match="not a complete"):
            load_model(tmp_path / "model.skmodel")
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.skmodel")
    with pytest.raises(FileNotFoundError, match="does not exist. Create it"):
        save_model(saved_forest[0], tmp_path / "no folder" / "model.skmodel")


def read_members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_sealed(path, members, manifest=None):
    """A model file of ``members`` with a valid whole-file checksum, as a forger might.

    ``manifest`` (a dict) replaces the manifest member as it is, its member
    digests unchanged.
    """
    if manifest is not None:
        members = {**members, "manifest.json": json.dumps(manifest).encode()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.comment = b"skmultimodal sha256 " + b"0" * 64
    data = buffer.getvalue()
    path.write_bytes(data[:-64] + hashlib.sha256(data[:-64]).hexdigest().encode())


def test_a_resealed_file_with_a_changed_member_is_refused(saved_net, lesions, tmp_path):
    X, _, _ = lesions
    original, path = saved_net
    members = read_members(path)
    target = tmp_path / "model.skmodel"
    write_sealed(target, members)  # the same content, sealed anew: loads
    assert_array_equal(load_model(target).predict_proba(X), original.predict_proba(X))
    weights = bytearray(members["weights.safetensors"])
    weights[-5] ^= 0x10
    write_sealed(target, {**members, "weights.safetensors": bytes(weights)})
    with pytest.raises(ValueError, match="weights.safetensors.*does not match"):
        load_model(target)


def test_a_member_changed_inside_the_zip_is_refused_by_its_crc(saved_forest, tmp_path):
    _, path = saved_forest
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        entry = archive.getinfo("arrays.safetensors")
    name_length, extra_length = struct.unpack("<HH", data[entry.header_offset + 26 :][:4])
    start = entry.header_offset + 30 + name_length + extra_length
    data[start + entry.file_size // 2] ^= 0x01
    body = bytes(data[:-64])
    target = tmp_path / "model.skmodel"
    target.write_bytes(body + hashlib.sha256(body).hexdigest().encode())
    with pytest.raises(ValueError, match="CRC|does not match"):
        load_model(target)


def test_an_unlisted_member_is_refused(saved_forest, tmp_path):
    _, path = saved_forest
    target = tmp_path / "model.skmodel"
    write_sealed(target, {**read_members(path), "data.pkl": pickle.dumps(print)})
    with pytest.raises(ValueError, match="data.pkl"):
        load_model(target)


@pytest.mark.parametrize("version", [2, 0, "1", None])
def test_an_unknown_format_version_is_refused(saved_forest, tmp_path, version):
    _, path = saved_forest
    members = read_members(path)
    manifest = json.loads(members["manifest.json"])
    manifest["format_version"] = version
    target = tmp_path / "model.skmodel"
    write_sealed(target, members, manifest)
    with pytest.raises(ValueError, match="format version") as error:
        load_model(target)
    if version == 2:
        assert "upgrade skmultimodal" in str(error.value)


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m.update(estimator="LogisticRegression"),
        lambda m: m.update(estimator="os.system"),
        lambda m: m["state"]["forest"].update({"class": "ExtraTreeClassifier"}),
        lambda m: m["params"].update(
            n_jobs={"__type__": "builtins.eval", "value": "print('hi')"}),
        lambda m: m["params"].update(secret_option=True),
        lambda m: m.update(format="something else"),
    ],
    ids=["foreign estimator", "dotted name", "foreign sklearn class", "unknown tag",
         "unknown parameter", "other format"],
)
def test_classes_and_values_not_of_the_library_are_refused(saved_forest, tmp_path, edit):
    _, path = saved_forest
    members = read_members(path)
    manifest = json.loads(members["manifest.json"])
    edit(manifest)
    target = tmp_path / "model.skmodel"
    write_sealed(target, members, manifest)
    with pytest.raises(ValueError):
        load_model(target)


def test_trees_that_point_outside_themselves_are_refused(saved_forest, tmp_path):
    from safetensors.numpy import load, save

    _, path = saved_forest
    members = read_members(path)
    arrays = load(members["arrays.safetensors"])
    key = next(k for k in arrays if k.endswith("nodes/left_child"))
    arrays[key] = np.where(arrays[key] > 0, 10**6, arrays[key])
    data = save(arrays)
    manifest = json.loads(members["manifest.json"])
    manifest["members"]["arrays.safetensors"] = {
        "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    target = tmp_path / "model.skmodel"
    write_sealed(target, {**members, "arrays.safetensors": data}, manifest)
    with pytest.raises(ValueError, match="do not form a tree"):
        load_model(target)
