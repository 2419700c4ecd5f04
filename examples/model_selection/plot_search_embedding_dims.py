"""
=========================================
The embedding network search (Figure S1)
=========================================

Yap et al. (2018) chose their embedding network — two fully connected
layers of 1024 units — by a grid search over its depth and width for each
modality combination, reported in their supplementary Figure S1 as mAP and
validation loss against the layer width, one line per depth.
:func:`~skmultimodal.model_selection.search_embedding_dims` runs that search
and :class:`~skmultimodal.plotting.EmbeddingSearchDisplay` draws the figure.

The paper's grid is three depths by three widths (256 to 1024) for six
combinations; this example searches a small grid on the demo data.
"""

# %%
# The search
# ----------
# A :class:`~sklearn.model_selection.GridSearchCV` over ``modalities`` x
# ``embedding_dims`` on the same grouped, stratified folds for every grid
# point, scored with mAP and the validation cross-entropy. The estimator
# holds the settings every grid point shares.
from skmultimodal import MultimodalLesionClassifier
from skmultimodal.datasets import make_lesions
from skmultimodal.model_selection import (
    embedding_grid,
    search_embedding_dims,
)

X, y, patients = make_lesions(
    200, image_size=64, random_state=0, return_groups=True
)

net = MultimodalLesionClassifier(
    backbone="resnet18",
    weights=None,
    image_size=32,
    max_epochs=3,
    batch_size=16,
    lr=1e-3,
    random_state=0,
)
print(embedding_grid(depths=(1, 2), widths=(16, 64)))

search = search_embedding_dims(
    X,
    y,
    groups=patients,
    estimator=net,
    depths=(1, 2),
    widths=(16, 64),
    combinations=[("dermoscopic", "metadata"), ("metadata",)],
    cv=3,
)

# %%
# One row per combination, depth and width: the mean mAP and loss over the
# folds, with the bounds of a 95 % Student-t interval over the folds.
search.results.round(3)

# %%
# Figure S1
# ---------
# One column per combination, mAP on top and validation loss below, one line
# per depth, error bars the intervals over folds. A larger network is worth
# it only where it raises mAP beyond the intervals of a smaller one; with
# three folds the intervals are wide.
from skmultimodal.plotting import EmbeddingSearchDisplay

display = EmbeddingSearchDisplay.from_search(search.results)

# %%
# The fitted :class:`~sklearn.model_selection.GridSearchCV` is there too, with
# every score of every fold (``refit=False``: the search measures, it does not
# choose):
cv_results = search.grid_search.cv_results_
sorted(key for key in cv_results if key.startswith("mean_test"))
