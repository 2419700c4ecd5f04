"""Fits on a Dask cluster through joblib: the scores of sequential fits, images decoded once.

One LocalCluster of two worker processes serves the module. Workers run torch
on one thread each (two workers on two cores), and the sequential reference
runs on one thread too: the same seeded fit on the same number of threads
computes the same numbers, in any process.
"""

import hashlib
import logging
from pathlib import Path

import joblib
import pytest
import torch
from numpy.testing import assert_array_equal
from pandas.testing import assert_frame_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate

from skmultimodal import MetadataForestClassifier, MultimodalLesionClassifier
from skmultimodal.datasets import make_lesions
from skmultimodal.metrics import lesion_scorers
from skmultimodal.model_selection import compare_modalities, modality_candidates
from skmultimodal.preprocessing import get_image_store

distributed = pytest.importorskip("distributed")

NET = {
    "backbone": "resnet18",
    "weights": None,
    "image_size": 32,
    "embedding_dims": (16,),
    "max_epochs": 1,
    "batch_size": 16,
    "lr": 1e-3,
    "random_state": 0,
}
CV = StratifiedKFold(2, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # The nanny starts workers with OMP_NUM_THREADS=1 already; said
        # explicitly, as a deployment would with a worker plugin.
        client.run(torch.set_num_threads, 1)
        yield client


@pytest.fixture
def one_thread():
    """The sequential reference on one thread, as each worker computes."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def lesions(tmp_path_factory):
    directory = tmp_path_factory.mktemp("dask_lesions")
    return make_lesions(40, image_size=32, directory=directory, random_state=0)


def on_dask(function, *args, **kwargs):
    with joblib.parallel_backend("dask"):
        return function(*args, **kwargs)


def decoded_per_worker(client):
    return client.run(lambda: get_image_store().n_decoded)


def test_workers_compute_on_one_thread(client):
    assert set(client.run(torch.get_num_threads).values()) == {1}
    assert len(client.scheduler_info()["workers"]) == 2


def test_grid_search_on_dask_matches_sequential(client, lesions, one_thread):
    X, y = lesions
    grid = GridSearchCV(
        MultimodalLesionClassifier(("dermoscopic", "metadata"), **NET),
        {"embedding_dims": [(8,), (16,)]},
        cv=CV, scoring=lesion_scorers(), refit="map",
    )
    before = sum(client.run(lambda: get_image_store().cache_info()["count"]).values())
    sequential = clone(grid).fit(X, y)
    distributed_grid = on_dask(clone(grid).fit, X, y)
    after = sum(client.run(lambda: get_image_store().cache_info()["count"]).values())
    assert after > before  # the fits ran on the workers
    scores = [key for key in sequential.cv_results_ if "_test_" in key]
    assert scores
    for key in scores:
        assert_array_equal(distributed_grid.cv_results_[key], sequential.cv_results_[key])
    assert distributed_grid.best_params_ == sequential.best_params_
    assert_array_equal(
        distributed_grid.best_estimator_.predict_proba(X),
        sequential.best_estimator_.predict_proba(X),
    )


def test_cross_validate_on_dask_matches_sequential(client, lesions, one_thread):
    X, y = lesions
    for estimator in (
        MultimodalLesionClassifier(("clinical", "metadata"), **NET),
        MetadataForestClassifier(n_estimators=20, random_state=0),
    ):
        sequential = cross_validate(estimator, X, y, cv=CV, scoring=lesion_scorers())
        distributed_scores = on_dask(
            cross_validate, estimator, X, y, cv=CV, scoring=lesion_scorers()
        )
        for key in sequential:
            if key.startswith("test_"):
                assert_array_equal(distributed_scores[key], sequential[key])


def test_compare_modalities_on_dask_matches_sequential(client, lesions, one_thread):
    X, y = lesions
    candidates = modality_candidates(
        MultimodalLesionClassifier(**NET),
        MetadataForestClassifier(n_estimators=20, random_state=0),
        combinations=[("dermoscopic",), ("metadata",)], embedding=(True,),
    )
    sequential = compare_modalities(X, y, candidates=candidates, cv=2)
    distributed_run = on_dask(compare_modalities, X, y, candidates=candidates, cv=2)
    metrics = ["candidate", "fold", "split", "top1", "map", "auc_melanoma", "auc_cancer"]
    assert_frame_equal(distributed_run.results[metrics], sequential.results[metrics])
    assert_frame_equal(distributed_run.predictions, sequential.predictions)


def test_workers_sharing_a_cache_dir_decode_each_image_once(client, tmp_path):
    # Images no worker has seen: a store knows images by content.
    X, y = make_lesions(40, image_size=40, directory=tmp_path / "images", random_state=7)
    images = {
        hashlib.sha256(Path(path).read_bytes()).hexdigest()
        for path in (*X["dermoscopic"], *X["clinical"])
    }
    net = MultimodalLesionClassifier(**NET, cache_dir=str(tmp_path / "cache"))
    before = decoded_per_worker(client)
    on_dask(cross_validate, net, X, y, cv=CV)
    after = decoded_per_worker(client)
    decodes = sum(after[worker] - before[worker] for worker in after)
    assert decodes == len(images), (decodes, len(images))
