"""scikit-learn's common estimator checks for every estimator the package exports."""

import pytest
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_cloneable,
    check_estimator_repr,
    check_estimator_tags_renamed,
    check_estimators_unfitted,
    check_get_params_invariance,
    check_mixin_order,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
    check_valid_tag_types,
    parametrize_with_checks,
)

from skmultimodal import MetadataForestClassifier, MultimodalLesionClassifier
from skmultimodal.preprocessing import MetadataEncoder

# A metadata-only net takes plain numeric arrays, so the whole suite applies.
METADATA_NET = MultimodalLesionClassifier(
    modalities=("metadata",),
    embedding_dims=(32,),
    max_epochs=30,
    batch_size=16,
    lr=1e-2,
    random_state=0,
)


@parametrize_with_checks(
    [
        MetadataForestClassifier(n_estimators=20, random_state=0),
        MetadataEncoder(),
        METADATA_NET,
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# Nets with image towers need a lesion frame with image files, which the
# common checks cannot make; their data-free API checks run by name, and the
# data-dependent ones are rewritten on lesion frames in tests/neural.
API_CHECKS = [
    check_estimator_cloneable,
    check_estimator_tags_renamed,
    check_valid_tag_types,
    check_estimator_repr,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_get_params_invariance,
    check_set_params,
    check_estimators_unfitted,
    check_do_not_raise_errors_in_init_or_set_params,
    check_mixin_order,
]


@pytest.mark.parametrize(
    "estimator",
    [
        MultimodalLesionClassifier(),
        MultimodalLesionClassifier(("dermoscopic",), embedding_dims=()),
        MultimodalLesionClassifier(("clinical", "metadata"), share_towers=True),
    ],
    ids=repr,
)
@pytest.mark.parametrize("check", API_CHECKS, ids=lambda check: check.__name__)
def test_image_net_api(estimator, check):
    check(type(estimator).__name__, estimator)
