"""Checks that need CUDA; skipped cleanly without it (run them on a GPU machine)."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from skmultimodal import MultimodalLesionClassifier
from skmultimodal.neural import get_feature_store

from ..conftest import FAST_NET

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def gpu_net(**params):
    return MultimodalLesionClassifier(**{**FAST_NET, "device": "cuda", **params})


def test_memory_returns_to_baseline_over_20_fits(lesions):
    X, y, _ = lesions
    torch.cuda.synchronize()
    baseline = torch.cuda.memory_allocated()
    levels = []
    models = []  # fitted models are kept, as GridSearchCV keeps best_estimator_
    for i in range(20):
        models.append(gpu_net(random_state=i, freeze_towers=i % 2 == 1).fit(X, y))
        models[-1].predict_proba(X)
        torch.cuda.synchronize()
        levels.append(torch.cuda.memory_allocated() - baseline)
    assert max(levels) == 0, levels
    assert all(next(m.net_.module_.parameters()).device.type == "cpu" for m in models)


def test_fit_on_gpu_uses_bf16_and_channels_last(lesions, monkeypatch):
    X, y, _ = lesions
    seen = {}
    original = torch.nn.Conv2d.forward

    def spy(self, images):
        seen["dtype"] = torch.get_autocast_dtype("cuda") if torch.is_autocast_enabled("cuda") else None
        seen["channels_last"] = images.is_contiguous(memory_format=torch.channels_last)
        return original(self, images)

    monkeypatch.setattr(torch.nn.Conv2d, "forward", spy)
    gpu_net(max_epochs=1).fit(X, y)
    assert seen == {"dtype": torch.bfloat16, "channels_last": True}


def test_gpu_and_cpu_predictions_agree(lesions):
    X, y, _ = lesions
    clf = gpu_net(mixed_precision=False).fit(X, y)
    on_gpu = clf.predict_proba(X)
    clf.net_.device = "cpu"
    assert np.allclose(on_gpu, clf.predict_proba(X), atol=1e-4)


def test_model_fitted_on_gpu_loads_on_a_cpu_only_machine(lesions, tmp_path):
    X, y, _ = lesions
    clf = gpu_net(max_epochs=1).fit(X, y)
    expected = clf.predict_proba(X)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(clf))
    X.to_pickle(tmp_path / "X.pkl")
    np.save(tmp_path / "expected.npy", expected)
    script = (
        "import pickle, numpy, pandas, torch\n"
        "assert not torch.cuda.is_available()\n"
        f"clf = pickle.load(open({str(tmp_path / 'model.pkl')!r}, 'rb'))\n"
        f"proba = clf.predict_proba(pandas.read_pickle({str(tmp_path / 'X.pkl')!r}))\n"
        f"expected = numpy.load({str(tmp_path / 'expected.npy')!r})\n"
        "assert numpy.abs(proba - expected).max() < 0.02, numpy.abs(proba - expected).max()\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_frozen_features_are_reused_on_gpu(lesions):
    X, y, _ = lesions
    store = get_feature_store()
    gpu_net(freeze_towers=True, augment=False).fit(X, y)
    computed = store.n_computed
    gpu_net(freeze_towers=True, augment=False, embedding_dims=(8,)).fit(X, y)
    assert store.n_computed == computed
