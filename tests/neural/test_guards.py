"""Cases where a net used to answer wrongly without a word, or fail obscurely."""

import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from skorch.callbacks import Checkpoint

from skmultimodal import MultimodalLesionClassifier
from skmultimodal.neural import TrainingDivergedError
from skmultimodal.preprocessing import ImageLoadError

from ..conftest import FAST_NET


def fast_net(**params):
    return MultimodalLesionClassifier(**{**FAST_NET, **params})


# -- training that diverges stops with an error ------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"modalities": ("metadata",)},
        {"modalities": ("dermoscopic", "metadata")},
        {"modalities": ("dermoscopic",), "freeze_towers": True},
        {"modalities": ("metadata",), "early_stopping": True},
    ],
    ids=["metadata", "fine-tuned", "frozen", "early-stopping"],
)
def test_diverged_training_raises_instead_of_returning_nan(lesions, params):
    X, y, _ = lesions
    with pytest.raises(TrainingDivergedError, match=r"became nan.*lower learning rate "
                       r"\(now lr=1e\+38\)"):
        fast_net(lr=1e38, max_epochs=3, **params).fit(X, y)


# -- fitted behaviour comes from fitted state ---------------------------------


def test_settings_changed_after_fit_do_not_change_predictions(lesions):
    X, y, _ = lesions
    model = fast_net(modalities=("dermoscopic", "clinical", "metadata"),
                     metadata_columns=["age", "sex"]).fit(X, y)
    expected = model.predict_proba(X)
    model.set_params(
        image_size=64, dermoscopic_column="clinical", clinical_column="dermoscopic",
        modalities=("metadata",), metadata_columns=["site"], freeze_towers=True,
        augment=False, embedding_dims=(), backbone="resnet34", weights="DEFAULT",
        share_towers=True, mixed_precision=True, batch_size=7, modality_dropout=0.5,
        class_weight="balanced", max_epochs=1, lr=5.0,
    )
    assert_allclose(model.predict_proba(X), expected, rtol=1e-6, atol=1e-7)


# -- batches of one image -----------------------------------------------------


def test_batch_size_one_is_refused_up_front_for_trained_towers(lesions):
    X, y, _ = lesions
    with pytest.raises(ValueError, match=r"batch_size=1 cannot train image towers"):
        fast_net(batch_size=1).fit(X, y)
    # Frozen towers and metadata-only nets have no batch normalisation to train.
    fast_net(batch_size=1, freeze_towers=True, max_epochs=1, augment=False).fit(X, y)
    fast_net(batch_size=1, modalities=("metadata",), max_epochs=1).fit(X, y)


def test_a_lone_image_in_a_training_batch_uses_running_statistics(lesions):
    # 33 lesions in batches of 32 would leave one; with 31 clinical images
    # absent, a batch can hold a single clinical image.
    X, y, _ = lesions
    X = X.iloc[:40].copy()
    X.iloc[1:32, X.columns.get_loc("clinical")] = None
    model = fast_net(batch_size=32, max_epochs=2).fit(X, y[:40])
    assert np.isfinite(model.predict_proba(X)).all()


# -- unclear errors made clear ------------------------------------------------


@pytest.mark.parametrize("device, match", [
    ("mps", "not available"), ("meta", "not 'meta'"), ("cuda:7", "CUDA"),
    ("gpu", "not a torch device"),
])
def test_unusable_devices_are_named(lesions, device, match):
    X, y, _ = lesions
    if device == "cuda:7" and torch.cuda.device_count() > 7:
        pytest.skip("this machine has 8 GPUs")
    with pytest.raises(ValueError, match=match):
        fast_net(device=device).fit(X, y)


def test_integer_in_an_image_column_names_row_and_column(lesions):
    X, y, _ = lesions
    X = X.copy().astype({"dermoscopic": object})
    X.iloc[4, X.columns.get_loc("dermoscopic")] = 17
    with pytest.raises(ImageLoadError, match=rf"row '{X.index[4]}', column "
                       r"'dermoscopic': 17: not a path but a int"):
        fast_net().fit(X, y)


def test_transformer_backbone_at_a_size_it_cannot_take(lesions):
    X, y, _ = lesions
    with pytest.raises(ValueError, match=r"'vit_b_16' cannot take 32x32 images.*"
                       r"Expected 224.*Set image_size"):
        fast_net(backbone="vit_b_16", modalities=("dermoscopic",)).fit(X, y)


def test_state_dict_with_a_layer_of_another_shape(lesions, tmp_path):
    import torchvision

    X, y, _ = lesions
    state = torchvision.models.resnet18().state_dict()
    state["layer1.0.conv1.weight"] = torch.zeros(3, 3, 3, 3)
    path = tmp_path / "odd.pth"
    torch.save(state, path)
    with pytest.raises(ValueError, match=r"odd.pth does not fit.*1 layer\(s\).*"
                       r"layer1.0.conv1.weight: \(3, 3, 3, 3\) in the file, "
                       r"\(64, 64, 3, 3\) in the model"):
        fast_net(weights=str(path), modalities=("dermoscopic",)).fit(X, y)


def test_directory_given_as_weights_or_image(lesions, tmp_path):
    X, y, _ = lesions
    with pytest.raises(IsADirectoryError, match="is a directory, not a file"):
        fast_net(weights=str(tmp_path), modalities=("dermoscopic",)).fit(X, y)
    X = X.copy()
    X.iloc[2, X.columns.get_loc("clinical")] = str(tmp_path)
    with pytest.raises(ImageLoadError, match="is a directory"):
        fast_net().fit(X, y)


def test_every_image_problem_of_every_column_in_one_error(lesions, tmp_path):
    X, y, _ = lesions
    X = X.copy()
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    X.iloc[0, X.columns.get_loc("clinical")] = None  # not taken: no problem
    X.iloc[1, X.columns.get_loc("dermoscopic")] = str(tmp_path / "gone.jpg")
    X.iloc[2, X.columns.get_loc("dermoscopic")] = str(broken)
    X.iloc[3, X.columns.get_loc("clinical")] = str(broken)
    X.iloc[4, X.columns.get_loc("clinical")] = str(tmp_path / "gone.png")
    with pytest.raises(ImageLoadError) as error:
        fast_net().fit(X, y)
    rows = sorted((str(row), column) for row, column, *_ in error.value.failures)
    assert rows == sorted([
        (str(X.index[1]), "dermoscopic"), (str(X.index[2]), "dermoscopic"),
        (str(X.index[3]), "clinical"), (str(X.index[4]), "clinical"),
    ])


# -- resources -------------------------------------------------------------


def test_pickled_model_holds_its_weights_once(lesions):
    X, y, _ = lesions
    model = fast_net(embedding_dims=(256,)).fit(X, y)
    weights = sum(
        t.numel() * t.element_size() for t in model.net_.module_.state_dict().values()
    )
    data = pickle.dumps(model)
    assert len(data) < 1.1 * weights, (len(data), weights)
    loaded = pickle.loads(data)
    assert loaded.net_.module is loaded.net_.module_
    assert_allclose(loaded.predict_proba(X), model.predict_proba(X), rtol=1e-6)


# -- skorch callbacks --------------------------------------------------------


def test_checkpoints_of_parallel_fits_never_collide(lesions, tmp_path):
    X, y, _ = lesions
    checkpoint = Checkpoint(monitor="train_loss_best", dirname=str(tmp_path),
                            f_optimizer=None, f_criterion=None)
    grid = GridSearchCV(
        fast_net(modalities=("metadata",), callbacks=[checkpoint], max_epochs=2),
        {"embedding_dims": [(8,), (16,)]}, cv=StratifiedKFold(2), n_jobs=2,
        refit=False,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 2
    folders = sorted(p for p in tmp_path.iterdir() if p.is_dir())
    assert len(folders) == 4  # one per fit
    widths = set()
    for folder in folders:
        state = torch.load(folder / "params.pt", weights_only=True)
        widths.add(state["head.0.weight"].shape[0])
    assert widths == {8, 16}
    assert checkpoint.dirname == str(tmp_path)  # the parameter is unchanged


def test_a_model_fitted_for_cuda_predicts_on_the_cpu_where_cuda_is_gone(lesions):
    X, y, _ = lesions
    model = fast_net(modalities=("metadata",), max_epochs=1).fit(X, y)
    expected = model.predict_proba(X)
    model.set_params(device="cuda")  # as a model fitted on a GPU and loaded here
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.warns(UserWarning, match="predicting on the CPU"):
        assert_allclose(model.predict_proba(X), expected)
    with pytest.raises(ValueError, match="CUDA is not available"):
        model.fit(X, y)


# -- fits in threads of one process -------------------------------------------


def test_seeded_fits_in_threads_repeat_the_sequential_fit(lesions):
    # torch has one random generator per process: threads fitting at once
    # would interleave their weight initialisation and dropout draws.
    X, y, _ = lesions
    nets = [fast_net(modalities=("dermoscopic", "metadata"), dropout=0.5,
                     max_epochs=2, random_state=seed) for seed in (0, 1, 2, 3)]
    expected = [clone(net).fit(X, y).predict_proba(X) for net in nets]
    with ThreadPoolExecutor(max_workers=4) as pool:
        fitted = list(pool.map(lambda net: clone(net).fit(X, y), nets))
    for model, probabilities in zip(fitted, expected):
        assert_array_equal(model.predict_proba(X), probabilities)
