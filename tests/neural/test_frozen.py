import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from skmultimodal import MultimodalLesionClassifier
from skmultimodal.neural import get_feature_store
from skmultimodal.preprocessing import get_image_store

from ..conftest import FAST_NET


def frozen_net(**params):
    return MultimodalLesionClassifier(
        **{**FAST_NET, "freeze_towers": True, "max_epochs": 3, **params}
    )


def test_only_the_head_trains_and_batch_norm_statistics_stay(lesions):
    X, y, _ = lesions
    reference = frozen_net(max_epochs=1)
    reference.fit(X.iloc[:10], y[:10])  # same seed: the same initial towers
    before = {k: v.clone() for k, v in reference.net_.module_.towers.state_dict().items()}
    clf = frozen_net().fit(X, y)
    after = clf.net_.module_.towers.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # running stats too
    head = clf.net_.module_.head
    assert all(p.requires_grad for p in head.parameters())
    assert not any(p.requires_grad for p in clf.net_.module_.towers.parameters())


def test_features_are_computed_once_for_a_grid_of_heads(lesions):
    X, y, _ = lesions
    store = get_feature_store()
    frozen_net(augment=False).fit(X, y)
    computed = store.n_computed
    for dims in [(), (8,), (16, 16)]:
        clf = frozen_net(augment=False, embedding_dims=dims).fit(X.iloc[10:], y[10:])
        clf.predict_proba(X)
    assert store.n_computed == computed


def test_augmented_views_are_cached_per_image(lesions):
    X, y, _ = lesions
    store = get_feature_store()
    before = store.n_computed
    frozen_net(modalities=("dermoscopic",), augmented_views=3, random_state=5).fit(X, y)
    assert store.n_computed - before == 3 * len(X)


def test_predictions_from_cached_features_match_the_full_forward_pass(lesions):
    X, y, _ = lesions
    clf = frozen_net(augmented_views=2).fit(X, y)
    proba = clf.predict_proba(X)
    store = get_image_store()
    module = clf.net_.module_.eval()
    images = {
        m: store.load(list(X[m]), image_size=32).gather(slice(None))
        for m in ("dermoscopic", "clinical")
    }
    metadata = torch.as_tensor(clf.metadata_encoder_.transform(X[clf.metadata_columns_]))
    with torch.no_grad():
        logits = module(**images, metadata=metadata)
    # Features are kept in float16, hence the tolerance.
    assert_allclose(proba, torch.softmax(logits, 1).numpy(), atol=2e-3)


@pytest.mark.parametrize("bad", [0, 1.5])
def test_augmented_views_must_be_a_positive_integer(lesions, bad):
    X, y, _ = lesions
    with pytest.raises(ValueError, match="augmented_views"):
        frozen_net(augmented_views=bad).fit(X, y)


@pytest.mark.parametrize("share_towers", [False, True])
def test_features_are_keyed_by_the_weights_the_towers_still_have(lesions, share_towers):
    # Towers copied from the cache bring the digest of the weights they were
    # built with; it must still describe the fitted (frozen) towers.
    from skmultimodal.neural._features import weights_digest

    X, y, _ = lesions
    clf = frozen_net(share_towers=share_towers).fit(X, y)
    module = clf.net_.module_
    assert set(clf._frozen_weights) == {"dermoscopic", "clinical"}
    for modality, digest in clf._frozen_weights.items():
        assert weights_digest(module.towers[module.tower_names[modality]]) == digest


def test_other_tower_weights_get_their_own_features(lesions):
    X, y, _ = lesions
    store = get_feature_store()
    store.clear()
    start = store.n_computed
    frozen_net(augment=False, random_state=0).fit(X, y)
    assert store.n_computed == start + 2 * len(X)  # two towers
    frozen_net(augment=False, random_state=1).fit(X, y)  # other random towers
    assert store.n_computed == start + 4 * len(X)
    frozen_net(augment=False, random_state=0, embedding_dims=(8,)).fit(X, y)
    assert store.n_computed == start + 4 * len(X)


def test_a_seeded_frozen_fit_does_not_depend_on_what_ran_before(lesions):
    # The same frozen towers (a module backbone keeps its weights), augmented
    # views: seed B alone, after seed A, and after seed B on part of the data.
    from ..conftest import small_tower

    X, y, _ = lesions
    tower = small_tower()
    store = get_feature_store()

    def fit(seed, rows=slice(None)):
        net = frozen_net(backbone=tower, weights="DEFAULT", augmented_views=3,
                         random_state=seed, max_epochs=2)
        return net.fit(X.iloc[rows], y[rows])

    store.clear()
    alone = fit(2).predict_proba(X)
    store.clear()
    fit(1)
    after_other_seed = fit(2).predict_proba(X)
    store.clear()
    fit(2, slice(0, 30))
    after_part = fit(2).predict_proba(X)
    assert_allclose(after_other_seed, alone, rtol=1e-6)
    assert_allclose(after_part, alone, rtol=1e-6)
    store.clear()
    assert not np.allclose(fit(1).predict_proba(X), alone)
