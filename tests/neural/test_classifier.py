import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    StratifiedKFold,
    cross_validate,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skmultimodal import MultimodalLesionClassifier
from skmultimodal.metrics import lesion_scorers
from skmultimodal.neural import FusionNet, LesionNet
from skmultimodal.neural._training import validation_split as _validation_split
from skmultimodal.preprocessing import ImageLoadError, get_image_store

from ..conftest import FAST_NET, small_tower


def fast_net(**params):
    return MultimodalLesionClassifier(**{**FAST_NET, **params})


def test_fit_predict_labels_and_probabilities(lesions):
    X, y, _ = lesions
    clf = fast_net()
    assert clf.fit(X, y) is clf
    assert_array_equal(clf.classes_, np.unique(y))
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), len(clf.classes_))
    assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(X)) <= set(clf.classes_)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.n_features_in_ == X.shape[1]
    assert_array_equal(clf.feature_names_in_, X.columns)
    assert isinstance(clf.net_.module_, FusionNet)
    assert len(clf.history_) == FAST_NET["max_epochs"]


def test_string_labels_of_any_names_round_trip(lesions):
    X, y, _ = lesions
    renamed = np.where(y == "nevus", "benign naevus", "something else")
    clf = fast_net(modalities=("metadata",)).fit(X, renamed)
    assert_array_equal(clf.classes_, ["benign naevus", "something else"])
    assert set(clf.predict(X)) <= {"benign naevus", "something else"}


def test_fused_net_uses_both_images(xor_lesions):
    """Only the combination of the two images tells the label here."""
    X, y = xor_lesions
    train, test = slice(0, 144), slice(144, None)
    params = {
        "backbone": small_tower(), "weights": "DEFAULT", "embedding_dims": (32,),
        "max_epochs": 30, "batch_size": 16, "lr": 1e-2, "augment": False,
    }
    accuracy = {}
    for modalities in [("dermoscopic",), ("clinical",), ("dermoscopic", "clinical")]:
        clf = fast_net(modalities=modalities, **params).fit(X[train], y[train])
        accuracy[modalities] = np.mean(clf.predict(X[test]) == y[test])
    assert accuracy[("dermoscopic", "clinical")] >= 0.9, accuracy
    assert accuracy[("dermoscopic",)] <= 0.7, accuracy
    assert accuracy[("clinical",)] <= 0.7, accuracy


def test_metadata_only_net_never_opens_an_image(lesions, monkeypatch):
    X, y, _ = lesions
    X = X.assign(dermoscopic="/nonexistent/d.jpg", clinical="/nonexistent/c.jpg")

    def refuse(*args, **kwargs):
        raise AssertionError("an image was opened")

    monkeypatch.setattr("PIL.Image.open", refuse)
    monkeypatch.setattr(get_image_store(), "load", refuse)
    clf = fast_net(modalities=("metadata",)).fit(X, y)
    assert clf.metadata_columns_ == ["age", "sex", "site"]
    assert clf.predict_proba(X).shape == (len(X), len(clf.classes_))


def test_second_fit_decodes_nothing(lesions):
    X, y, _ = lesions
    store = get_image_store()
    fast_net(modalities=("dermoscopic", "clinical"), max_epochs=1).fit(X, y)
    decoded = store.n_decoded
    clf = clone(fast_net(modalities=("dermoscopic", "clinical"), max_epochs=1))
    clf.fit(X.iloc[::2], y[::2]).predict(X)
    assert store.n_decoded == decoded


def test_random_state_makes_fits_reproducible_and_leaves_global_state(lesions):
    X, y, _ = lesions
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    first = fast_net().fit(X, y).predict_proba(X)
    assert torch.rand(1) == expected_next  # the global torch RNG is untouched
    second = fast_net().fit(X, y).predict_proba(X)
    assert_allclose(first, second, rtol=1e-5, atol=1e-6)
    other = fast_net(random_state=1).fit(X, y).predict_proba(X)
    assert not np.allclose(first, other)


def test_augmentation_never_reaches_prediction(lesions):
    X, y, _ = lesions
    clf = fast_net(augment=True).fit(X, y)
    assert clf.net_.module_.augmentation is not None
    assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))


def test_module_backbone_is_copied_not_trained_in_place(lesions):
    X, y, _ = lesions
    backbone = small_tower()
    before = [p.detach().clone() for p in backbone.parameters()]
    clf = fast_net(modalities=("dermoscopic",), backbone=backbone, weights="DEFAULT")
    clf.fit(X, y)
    for old, new in zip(before, backbone.parameters()):
        assert torch.equal(old, new)
    tower = clf.net_.module_.towers["dermoscopic"]
    assert not any(torch.equal(a, b) for a, b in zip(before, tower.parameters()))
    # A second fit starts again from the module as passed, not from the first fit.
    first = clf.predict_proba(X)
    assert_allclose(clf.fit(X, y).predict_proba(X), first, rtol=1e-5, atol=1e-6)


def test_share_towers_uses_one_set_of_weights(lesions):
    X, y, _ = lesions
    separate = fast_net(modalities=("dermoscopic", "clinical"), max_epochs=1).fit(X, y)
    shared = fast_net(
        modalities=("dermoscopic", "clinical"), max_epochs=1, share_towers=True
    ).fit(X, y)
    assert list(shared.net_.module_.towers) == ["shared"]
    assert list(separate.net_.module_.towers) == ["dermoscopic", "clinical"]
    n_separate = sum(p.numel() for p in separate.net_.module_.towers.parameters())
    n_shared = sum(p.numel() for p in shared.net_.module_.towers.parameters())
    assert n_shared * 2 == n_separate


@pytest.mark.parametrize(
    "embedding_dims, n_linear", [((), 1), ((16,), 2), ((16, 8), 3)]
)
def test_embedding_dims_shape_the_head(lesions, embedding_dims, n_linear):
    X, y, _ = lesions
    clf = fast_net(
        modalities=("metadata",), embedding_dims=embedding_dims, max_epochs=1
    ).fit(X, y)
    linear = [m for m in clf.net_.module_.head if isinstance(m, torch.nn.Linear)]
    assert len(linear) == n_linear
    assert [m.out_features for m in linear[:-1]] == list(embedding_dims)
    assert linear[-1].out_features == len(clf.classes_)


def test_head_input_is_towers_plus_metadata(lesions):
    X, y, _ = lesions
    clf = fast_net(max_epochs=1, embedding_dims=()).fit(X, y)
    n_metadata = len(clf.metadata_encoder_.get_feature_names_out())
    # resnet18's pooled features are 512 wide, one vector per image modality.
    assert clf.net_.module_.head[0].in_features == 2 * 512 + n_metadata


def test_class_weight_balanced_weighs_the_loss(lesions):
    X, y, _ = lesions
    clf = fast_net(modalities=("metadata",), class_weight="balanced", max_epochs=1)
    clf.fit(X, y)
    counts = pd.Series(y).value_counts().reindex(clf.classes_).to_numpy()
    expected = len(y) / (len(counts) * counts)
    # The criterion is dropped after training; its weight is the fit argument.
    assert_allclose(clf.net_.criterion__weight.numpy(), expected, rtol=1e-6)


def test_early_stopping_split_is_stratified_and_grouped(lesions):
    _, y, groups = lesions
    train, valid = _validation_split(y, groups, 0.25, seed=0)
    assert set(groups[train]).isdisjoint(groups[valid])
    assert len(train) + len(valid) == len(y)
    assert {"nevus", "bcc", "melanoma"} <= set(y[valid])  # common classes on both sides
    train, valid = _validation_split(y, None, 0.25, seed=0)
    assert len(valid) == 15


def test_early_stopping_stops_and_keeps_the_best_epoch(lesions):
    X, y, groups = lesions
    clf = fast_net(
        modalities=("metadata",), early_stopping=True, validation_fraction=0.25,
        n_iter_no_change=2, max_epochs=60, lr=0.05, embedding_dims=(256, 256),
    ).fit(X, y, groups=groups)
    history = clf.history_
    losses = history[:, "valid_loss"]
    assert len(history) < 60  # it stopped
    best = int(np.argmin(losses))
    assert len(history) == best + 1 + 2  # two epochs without improvement
    assert sum(history[-1, "batches", :, "valid_batch_size"]) < len(X)


def test_ctrl_c_during_training_is_not_taken_for_early_stopping(lesions, monkeypatch):
    X, y, _ = lesions
    step = LesionNet.train_step
    calls = []

    def interrupted(self, batch, **fit_params):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return step(self, batch, **fit_params)

    monkeypatch.setattr(LesionNet, "train_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fast_net(modalities=("metadata",), max_epochs=5, batch_size=8).fit(X, y)
    assert len(calls) == 3  # nothing went on after the interrupt


def test_cosine_learning_rate_schedule(lesions):
    X, y, _ = lesions
    clf = fast_net(modalities=("metadata",), max_epochs=4, lr=0.01).fit(X, y)
    # skorch records the learning rate each epoch trained with.
    used = [clf.history_[epoch, "event_lr"] for epoch in range(4)]
    expected = [0.01 * (1 + np.cos(np.pi * e / 4)) / 2 for e in range(4)]
    assert_allclose(used, expected, rtol=1e-6)
    constant = fast_net(modalities=("metadata",), max_epochs=4, lr=0.01,
                        lr_schedule="constant").fit(X, y)
    assert "event_lr" not in constant.history_[-1]
    assert constant.net_.optimizer_.param_groups[0]["lr"] == 0.01


def test_no_internal_validation_split_by_default(lesions):
    X, y, _ = lesions
    clf = fast_net(modalities=("metadata",), max_epochs=1).fit(X, y)
    assert "valid_loss" not in clf.history_[-1]
    assert sum(clf.history_[-1, "batches", :, "train_batch_size"]) == len(X)


def test_pickle_round_trip_predicts_the_same(lesions, tmp_path):
    X, y, _ = lesions
    clf = fast_net(max_epochs=1).fit(X, y)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(clf))
    loaded = pickle.loads(path.read_bytes())
    assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), rtol=1e-6)
    assert_array_equal(loaded.classes_, clf.classes_)


def test_grid_search_over_modalities_and_embedding_dims(lesions):
    X, y, groups = lesions
    grid = GridSearchCV(
        fast_net(max_epochs=1),
        {
            "modalities": [("dermoscopic",), ("dermoscopic", "clinical", "metadata")],
            "embedding_dims": [(), (16,)],
        },
        cv=GroupKFold(2),
        scoring=lesion_scorers(),
        refit="map",
    )
    grid.fit(X, y, groups=groups)
    assert len(grid.cv_results_["params"]) == 4
    assert np.isfinite(grid.cv_results_["mean_test_map"]).all()
    assert grid.best_estimator_.predict(X).shape == (len(X),)


def test_cross_validate_with_lesion_scorers(lesions):
    X, y, _ = lesions
    scores = cross_validate(
        fast_net(modalities=("metadata",), max_epochs=3), X, y,
        cv=StratifiedKFold(3), scoring=lesion_scorers(),
    )
    for name in ("top1", "map", "auc_melanoma", "auc_cancer"):
        assert np.all((scores[f"test_{name}"] >= 0) & (scores[f"test_{name}"] <= 1))


def test_pipeline_with_pandas_column_transformer(lesions):
    X, y, _ = lesions
    prepare = ColumnTransformer(
        [
            ("age", StandardScaler(), ["age"]),
            ("site", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
             ["site"]),
        ],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    pipeline = Pipeline(
        [("prepare", prepare), ("net", fast_net(max_epochs=1))]
    )
    pipeline.fit(X, y)
    net = pipeline.named_steps["net"]
    assert "dermoscopic" in net.feature_names_in_
    assert any(c.startswith("site_") for c in net.metadata_columns_)
    assert pipeline.predict_proba(X).shape == (len(X), len(net.classes_))


# -- errors that arrive before any training --------------------------------


def test_unknown_modality_is_named(lesions):
    X, y, _ = lesions
    with pytest.raises(ValueError, match="'dermoscopy'.*dermoscopic"):
        fast_net(modalities=("dermoscopy",)).fit(X, y)


def test_missing_image_column_is_named(lesions):
    X, y, _ = lesions
    with pytest.raises(KeyError, match="'clinical'.*clinical image paths"):
        fast_net().fit(X.drop(columns="clinical"), y)


def test_missing_and_unreadable_files_are_all_listed(lesions, tmp_path):
    X, y, _ = lesions
    X = X.copy()
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    X.iloc[3, X.columns.get_loc("dermoscopic")] = str(tmp_path / "gone_1.jpg")
    X.iloc[7, X.columns.get_loc("clinical")] = str(tmp_path / "gone_2.png")
    with pytest.raises(ImageLoadError) as missing:
        fast_net().fit(X, y)
    message = str(missing.value)
    assert "2 image(s)" in message
    assert f"row '{X.index[3]}', column 'dermoscopic'" in message
    assert "gone_1.jpg: file not found" in message
    assert f"row '{X.index[7]}', column 'clinical'" in message
    X.iloc[3, X.columns.get_loc("dermoscopic")] = str(broken)
    X.iloc[7, X.columns.get_loc("clinical")] = str(broken)
    with pytest.raises(ImageLoadError, match="broken.jpg: UnidentifiedImageError"):
        fast_net().fit(X, y)


def test_lesions_without_any_input_are_named(lesions):
    # An empty image cell is an image not taken; a lesion with neither of the
    # net's images has nothing to classify.
    X, y, _ = lesions
    X = X.copy()
    X.iloc[[2, 5], X.columns.get_loc("clinical")] = None
    X.iloc[[5], X.columns.get_loc("dermoscopic")] = ""
    with pytest.raises(ValueError, match=rf"1 lesion\(s\) have none of the model's "
                       rf"modalities \['dermoscopic', 'clinical'\].*rows '{X.index[5]}'"):
        fast_net(modalities=("dermoscopic", "clinical")).fit(X, y)


def test_nan_labels_are_named(lesions):
    X, y, _ = lesions
    y = y.astype(object)
    y[[1, 4]] = None
    with pytest.raises(ValueError, match=rf"rows '{X.index[1]}', '{X.index[4]}'"):
        fast_net().fit(X, y)


def test_single_class_is_refused(lesions):
    X, y, _ = lesions
    with pytest.raises(ValueError, match="at least 2 classes.*'nevus'"):
        fast_net().fit(X, np.full(len(X), "nevus"))


def test_predict_before_fit(lesions):
    X, _, _ = lesions
    with pytest.raises(NotFittedError):
        fast_net().predict(X)


def test_predict_with_other_columns_names_them(lesions):
    X, y, _ = lesions
    clf = fast_net(modalities=("metadata",), max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="age"):
        clf.predict(X.drop(columns="age"))
    with pytest.raises(ValueError, match="patient_weight"):
        clf.predict(X.assign(patient_weight=70.0))


def test_numeric_metadata_with_text_at_predict_names_rows(lesions):
    X, y, _ = lesions
    clf = fast_net(modalities=("metadata",), max_epochs=1).fit(X, y)
    bad = X.copy()
    bad["age"] = bad["age"].astype(object)
    bad.iloc[4, bad.columns.get_loc("age")] = "forty"
    with pytest.raises(ValueError, match=rf"'age'.*rows '{X.index[4]}'.*'forty'"):
        clf.predict(bad)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"embedding_dims": (16, 0)}, "positive integers"),
        ({"image_size": 0}, "image_size"),
        ({"device": "tpu"}, "device"),
        ({"class_weight": "inverse"}, "class_weight"),
        ({"lr_schedule": "linear"}, "lr_schedule"),
        ({"backbone": "resnet5O"}, "Did you mean.*resnet50"),
        ({"weights": "IMAGENET"}, "neither a weights name"),
    ],
)
def test_bad_parameters_fail_before_training(lesions, params, match):
    X, y, _ = lesions
    with pytest.raises(ValueError, match=match):
        fast_net(**params).fit(X, y)


def test_identifier_column_in_metadata_warns(lesions):
    X, y, _ = lesions
    X = X.assign(lesion_code=[f"L{i}" for i in range(len(X))])
    with pytest.warns(UserWarning, match="'lesion_code'.*groups"):
        fast_net(modalities=("metadata",), max_epochs=1).fit(X, y)


@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_untrained_net_predicts_the_class_balance(lesions, class_weight):
    # With lr=0 the net keeps its initial weights: without embedding network,
    # zero output weights and the log class frequencies (as the loss weighs
    # them) as biases.
    X, y, _ = lesions
    clf = fast_net(modalities=("metadata",), embedding_dims=(), max_epochs=1,
                   lr=0.0, class_weight=class_weight).fit(X, y)
    proba = clf.predict_proba(X)
    if class_weight is None:
        counts = pd.Series(y).value_counts()
        expected = counts.reindex(clf.classes_).to_numpy() / len(y)
    else:
        expected = np.full(len(clf.classes_), 1 / len(clf.classes_))
    assert_allclose(proba, np.tile(expected, (len(X), 1)), rtol=1e-5)


def test_output_biases_start_at_the_log_class_frequencies(lesions):
    X, y, _ = lesions
    clf = fast_net(modalities=("metadata",), max_epochs=1, lr=0.0).fit(X, y)
    output = clf.net_.module_.head[-1]
    frequencies = pd.Series(y).value_counts().reindex(clf.classes_) / len(y)
    assert_allclose(output.bias.detach().numpy(), np.log(frequencies), rtol=1e-5)
    # With an embedding network the output weights keep a random start, or
    # the hidden layers would get no gradient.
    assert output.weight.abs().min() > 0


def _tower_state(clf, modality):
    module = clf.net_.module_
    return module.towers[module.tower_names[modality]].state_dict()


def test_seeded_fits_copy_their_towers_instead_of_rebuilding(lesions, monkeypatch):
    from skmultimodal.neural import _tower_cache

    X, y, _ = lesions
    _tower_cache._TEMPLATES.clear()
    built = []
    original = _tower_cache.build_tower
    monkeypatch.setattr(
        _tower_cache, "build_tower", lambda *args: built.append(args) or original(*args)
    )
    first = fast_net(max_epochs=1).fit(X, y)
    assert len(built) == 2  # one tower per image modality
    second = fast_net(max_epochs=1, embedding_dims=(16,)).fit(X, y)
    assert len(built) == 2  # both copied from the first fit's recipes
    # The copies start where freshly built towers start, and training the
    # first fit's copies left the cached towers untouched: a fit from the
    # cache equals a fit that builds everything again.
    from_cache = fast_net(max_epochs=1).fit(X, y)
    _tower_cache._TEMPLATES.clear()
    rebuilt = fast_net(max_epochs=1).fit(X, y)
    assert len(built) == 4
    assert_allclose(from_cache.predict_proba(X), rebuilt.predict_proba(X), rtol=1e-6)
    assert_allclose(first.predict_proba(X), rebuilt.predict_proba(X), rtol=1e-6)
    # Each modality has its own initial tower.
    derm, clin = (_tower_state(second, m) for m in ("dermoscopic", "clinical"))
    assert not all(torch.equal(derm[k], clin[k]) for k in derm)


def test_unseeded_fits_start_from_new_random_towers(lesions):
    X, y, _ = lesions
    a = fast_net(modalities=("dermoscopic",), max_epochs=1, lr=0.0,
                 random_state=None).fit(X, y)
    b = fast_net(modalities=("dermoscopic",), max_epochs=1, lr=0.0,
                 random_state=None).fit(X, y)
    first, second = (_tower_state(c, "dermoscopic") for c in (a, b))
    assert not torch.equal(first["0.conv1.weight"], second["0.conv1.weight"])


def test_a_class_weighted_zero_starts_improbable_but_finite(lesions):
    X, y, _ = lesions
    ignored = np.unique(y)[0]
    clf = fast_net(modalities=("metadata",), embedding_dims=(), max_epochs=1,
                   lr=0.0, class_weight={ignored: 0.0}).fit(X, y)
    assert torch.isfinite(clf.net_.module_.head[-1].bias).all()
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    assert_allclose(proba[:, 0], 0.0, atol=1e-9)
