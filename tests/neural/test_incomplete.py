"""Lesions that lack an image or their metadata: learning and predicting with any subset."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose
from PIL import Image
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skmultimodal import MultimodalLesionClassifier
from skmultimodal.neural import LesionDataset
from skmultimodal.preprocessing import ImageLoadError, get_image_store

from ..conftest import FAST_NET, small_tower

TOY = {
    "backbone": small_tower(), "weights": "DEFAULT", "embedding_dims": (16,),
    "max_epochs": 25, "batch_size": 16, "lr": 1e-2, "augment": False,
}


def toy_net(**params):
    return MultimodalLesionClassifier(**{**FAST_NET, **TOY, **params})


@pytest.fixture(scope="module")
def redundant_lesions(tmp_path_factory):
    """Each image tells the label on its own; either one is enough.

    Melanomas have a dark dermoscopic image and a reddish clinical one,
    nevi a bright dermoscopic image and a greenish clinical one (with noise),
    so a model that learned to use whichever image is there classifies
    dermoscopic-only and clinical-only lesions alike.
    """
    directory = tmp_path_factory.mktemp("redundant")
    rng = np.random.RandomState(1)

    def image(path, colour):
        # Pixel noise makes every file distinct, as real images are.
        pixels = np.asarray(colour) + rng.randint(-12, 12, (40, 40, 3))
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path)
        return str(path)

    rows, labels = [], []
    for i in range(160):
        melanoma = i % 2 == 0
        grey = (70 if melanoma else 170) + rng.randint(-30, 30)
        tint = np.array((170, 90, 90) if melanoma else (90, 170, 90))
        rows.append({
            "dermoscopic": image(directory / f"{i}_d.png", (grey,) * 3),
            "clinical": image(directory / f"{i}_c.png", tint + rng.randint(-30, 30, 3)),
            "age": float(rng.randint(20, 80)),
        })
        labels.append("melanoma" if melanoma else "nevus")
    return pd.DataFrame(rows), np.array(labels)


def without(X, modality, rows, empty=np.nan):
    X = X.copy()
    column = ["age"] if modality == "metadata" else [modality]
    X.loc[X.index[rows], column] = empty
    return X


def accuracy(model, X, y):
    return float(np.mean(model.predict(X) == y))


def test_empty_cells_are_images_not_taken(redundant_lesions):
    X, y = redundant_lesions
    # NaN, None and "" all mean "not taken", in 40 % of the training lesions.
    X = without(X, "clinical", range(0, 40, 3), np.nan)
    X = without(X, "clinical", range(1, 40, 3), None)
    X = without(X, "clinical", range(2, 40, 3), "")
    X = without(X, "clinical", range(40, 64), np.nan)
    model = toy_net(modalities=("dermoscopic", "clinical")).fit(X, y)
    assert model.optional_modalities_ == ("clinical",)
    stand_in = model.net_.module_.stand_ins["clinical"]
    assert stand_in.abs().sum() > 0  # the stand-in was learned
    assert accuracy(model, X, y) >= 0.9
    # A clinical image is never required; a dermoscopic one always is.
    only_dermoscopic = without(X, "clinical", slice(None))
    assert accuracy(model, only_dermoscopic, y) >= 0.9
    with pytest.raises(ValueError, match=r"lack the dermoscopic image.*modality_dropout"):
        model.predict(without(X, "dermoscopic", [100, 101]))


def test_absent_images_are_never_decoded_nor_seen_by_the_tower(redundant_lesions):
    X, y = redundant_lesions
    X = without(X.iloc[:80], "clinical", range(0, 80, 2))  # half of them
    store = get_image_store()
    store.clear()
    decoded = store.n_decoded
    model = toy_net(modalities=("dermoscopic", "clinical"), max_epochs=1).fit(X, y[:80])
    assert store.n_decoded - decoded == 80 + 40
    seen = []
    tower = model.net_.module_.towers["clinical"]
    forward = tower.forward
    tower.forward = lambda images: seen.append(len(images)) or forward(images)
    dataset = model._load(X, model._presence(X))
    for start in range(0, 80, 20):
        inputs, _ = dataset.batch(torch.arange(start, start + 20))
        model.net_.module_.train()(**inputs)
    # Half of each batch of 20 lacks the image: the tower ran on 10 of 20.
    assert seen == [10, 10, 10, 10]


def test_lesion_without_the_modalities_is_an_error_naming_rows(redundant_lesions):
    X, y = redundant_lesions
    X = without(without(X, "clinical", [5, 9]), "dermoscopic", [9])
    with pytest.raises(ValueError, match=rf"1 lesion\(s\) have none.*rows {X.index[9]}"):
        toy_net(modalities=("dermoscopic", "clinical")).fit(X, y)


def test_given_but_missing_files_are_still_errors(redundant_lesions, tmp_path):
    X, y = redundant_lesions
    X = without(X, "clinical", range(10))
    X.iloc[12, X.columns.get_loc("clinical")] = str(tmp_path / "gone.png")
    X.iloc[13, X.columns.get_loc("dermoscopic")] = str(tmp_path / "gone_too.png")
    with pytest.raises(ImageLoadError) as error:
        toy_net(modalities=("dermoscopic", "clinical")).fit(X, y)
    message = str(error.value)
    assert "2 image(s)" in message
    assert f"row {X.index[12]}, column 'clinical'" in message
    assert "gone.png: file not found" in message
    assert "gone_too.png: file not found" in message


def test_modality_dropout_teaches_one_model_every_subset(redundant_lesions):
    X, y = redundant_lesions
    train, test = slice(0, 120), slice(120, None)
    model = toy_net(modalities=("dermoscopic", "clinical"), modality_dropout=0.5,
                    max_epochs=40).fit(X[train], y[train])
    assert model.optional_modalities_ == ("dermoscopic", "clinical")
    complete, rows = X[test], range(40)
    assert accuracy(model, complete, y[test]) >= 0.9
    assert accuracy(model, without(complete, "clinical", rows), y[test]) >= 0.9
    assert accuracy(model, without(complete, "dermoscopic", rows), y[test]) >= 0.9
    # Without it, complete training lesions teach no absence: refused.
    strict = toy_net(modalities=("dermoscopic", "clinical"), max_epochs=1).fit(
        X[train], y[train]
    )
    assert strict.optional_modalities_ == ()
    with pytest.raises(ValueError, match=rf"1 lesion\(s\) lack the clinical image, "
                       rf"rows {X.index[121]}.*Refit with modality_dropout"):
        strict.predict(without(complete, "clinical", [1]))


def test_metadata_all_missing_counts_as_absent(redundant_lesions):
    X, y = redundant_lesions
    X = without(X, "metadata", range(0, 30))
    model = toy_net(modalities=("dermoscopic", "metadata"), max_epochs=2).fit(X, y)
    assert model.optional_modalities_ == ("metadata",)
    assert "metadata" in model.net_.module_.stand_ins
    # The encoder learned its medians from lesions that have metadata.
    ages = X["age"].iloc[30:]
    assert model.metadata_encoder_.transform(pd.DataFrame({"age": [ages.median()]}))[
        0, 0
    ] == pytest.approx(0.0, abs=0.1)
    assert model.predict_proba(without(X, "metadata", range(60))).shape == (len(X), 2)


def test_dropout_hides_modalities_never_all_and_gathers_only_what_is_shown():
    n = 400
    metadata = torch.randn(n, 3)
    present = {"metadata": torch.rand(n) > 0.3}
    dataset = LesionDataset({}, metadata, torch.zeros(n, dtype=torch.long), n,
                            features={"clinical": torch.randn(n, 1, 4)}, present=present)
    generator = np.random.default_rng(0)
    inputs, _ = dataset.batch(torch.arange(n), generator, modality_dropout=0.9)
    shown_clinical = inputs["clinical_present"]
    shown_metadata = inputs["metadata_present"]
    assert (shown_clinical | shown_metadata).all()  # never all hidden
    assert not (shown_metadata & ~present["metadata"]).any()  # absent stays absent
    assert len(inputs["clinical_features"]) == int(shown_clinical.sum())
    # With 0.9, most lesions with two modalities show exactly one.
    both = present["metadata"]
    assert (shown_clinical[both] & shown_metadata[both]).float().mean() < 0.2
    # Prediction hides nothing.
    inputs, _ = dataset.batch(torch.arange(n))
    assert "clinical_present" not in inputs
    assert_allclose(inputs["metadata_present"].numpy(), present["metadata"].numpy())


def test_frozen_towers_compute_features_of_present_images_only(redundant_lesions):
    from skmultimodal.neural import get_feature_store

    X, y = redundant_lesions
    X = without(X, "clinical", range(0, 100))
    store = get_feature_store()
    before = store.n_computed
    params = {"backbone": "resnet18", "weights": None, "freeze_towers": True,
              "augment": False, "random_state": 7}
    model = toy_net(modalities=("dermoscopic", "clinical"), **params).fit(X, y)
    assert store.n_computed - before == len(X) + (len(X) - 100)
    assert model.predict_proba(X).shape == (len(X), 2)
    assert store.n_computed - before == len(X) + (len(X) - 100)  # nothing new


@pytest.mark.parametrize("params", [
    {"share_towers": True},
    {"early_stopping": True, "validation_fraction": 0.25},
    {"class_weight": "balanced"},
    {"freeze_towers": True, "augmented_views": 2, "augment": True},
])
def test_absences_work_with_every_training_option(redundant_lesions, params):
    X, y = redundant_lesions
    X = without(without(X, "clinical", range(0, 60)), "dermoscopic", range(100, 130))
    model = toy_net(**params, max_epochs=3).fit(X, y)
    proba = model.predict_proba(X)
    assert np.isfinite(proba).all()
    assert set(model.optional_modalities_) == {"dermoscopic", "clinical"}


def test_grid_search_and_pickling_with_incomplete_lesions(redundant_lesions):
    X, y = redundant_lesions
    X = without(X, "clinical", range(0, 160, 3))
    grid = GridSearchCV(
        toy_net(modalities=("dermoscopic", "clinical"), max_epochs=3),
        {"embedding_dims": [(), (8,)], "modality_dropout": [0.0, 0.3]},
        cv=StratifiedKFold(2),
    ).fit(X, y)
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    model = pickle.loads(pickle.dumps(grid.best_estimator_))
    assert_allclose(model.predict_proba(X), grid.best_estimator_.predict_proba(X))
