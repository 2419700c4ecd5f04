"""
=====================================================
The paper's modality comparison: table and figures
=====================================================

The study of Yap et al. (2018) in Python: the fusion network on several
modality combinations and the random forest on the metadata, evaluated on
the same folds with the same metrics; then the paper's Table 1, its melanoma
ROC curves, mAP box plots, confusion matrices and forest importances.

The command ``skmultimodal compare`` runs the full version (every
combination, with and without embedding network, five folds) and writes the
same table and figures to files; this example runs a small version on the
demo data: four combinations, three folds, a CPU-sized network.
"""

# %%
# The candidates
# --------------
# :func:`~skmultimodal.model_selection.modality_candidates` clones one set of
# network settings into one estimator per modality combination, named as in
# the paper's table, and adds the metadata forest. ``combinations=`` picks a
# subset of the paper's combinations and ``embedding=(True,)`` leaves out the
# variants without embedding network.
from skmultimodal import (
    MetadataForestClassifier,
    MultimodalLesionClassifier,
)
from skmultimodal.datasets import make_lesions
from skmultimodal.model_selection import modality_candidates

X, y, patients = make_lesions(
    200, image_size=64, random_state=0, return_groups=True
)

net = MultimodalLesionClassifier(
    backbone="resnet18",
    weights=None,
    image_size=32,
    embedding_dims=(64,),
    max_epochs=3,
    batch_size=16,
    lr=1e-3,
)
candidates = modality_candidates(
    net,
    MetadataForestClassifier(n_estimators=200),
    combinations=[
        ("clinical",),
        ("dermoscopic",),
        ("dermoscopic", "clinical", "metadata"),
        ("metadata",),
    ],
    embedding=(True,),
)
list(candidates)

# %%
# The comparison
# --------------
# :func:`~skmultimodal.model_selection.compare_modalities` draws the folds
# once — stratified by class, grouped by patient — and cross-validates every
# candidate on them. Candidates without a seed get the study's
# ``random_state``.
from skmultimodal.model_selection import compare_modalities

comparison = compare_modalities(
    X, y, groups=patients, candidates=candidates, cv=3, random_state=0
)
comparison.results.head()

# %%
# Table 1
# -------
# :func:`~skmultimodal.model_selection.summarize` gives the mean and the
# standard deviation over folds of each metric per candidate, in the paper's
# order; :func:`~skmultimodal.model_selection.format_summary` renders it as
# Markdown, LaTeX or a DataFrame, best values marked.
from skmultimodal.model_selection import format_summary, summarize

summary = summarize(comparison.results)
print(format_summary(summary, "markdown"))

# %%
# The same as a DataFrame, the best value of each column marked with ``*``:
format_summary(summary, "frame")

# %%
# Because all candidates were scored on the same folds, compare them fold by
# fold: here the difference in mAP between the full network and dermoscopy
# alone, per fold. A gain that holds in every fold says more than a
# difference between two means.
per_fold = comparison.results.pivot(
    index="fold", columns="candidate", values="map"
)
(per_fold["dsc + macro + meta"] - per_fold["dsc"]).round(3)

# %%
# ROC curves for melanoma
# -----------------------
# From the out-of-fold probabilities in ``comparison.predictions``: every
# lesion is scored by the one fold model that did not train on it.
from skmultimodal.plotting import MelanomaRocDisplay

roc = MelanomaRocDisplay.from_comparison(comparison.predictions)

# %%
# mAP over the folds
# ------------------
from skmultimodal.plotting import MetricBoxPlotDisplay

boxes = MetricBoxPlotDisplay.from_results(comparison.results, metric="map")

# %%
# Confusion matrices
# ------------------
# Normalised by the true class, so the diagonal holds each class's
# sensitivity.
from skmultimodal.plotting import ConfusionMatricesDisplay

nets = ["macro", "dsc", "dsc + macro + meta"]
matrices = ConfusionMatricesDisplay.from_comparison(
    comparison.predictions, candidates=nets
)

# %%
# The forest's feature importances
# --------------------------------
# Impurity-based importances of the metadata forest refitted on all lesions,
# one bar per column of the lesion frame (the indicators of a categorical
# column summed).
from skmultimodal.model_selection import FOREST_NAME
from skmultimodal.plotting import FeatureImportanceDisplay

forest = candidates[FOREST_NAME].set_params(random_state=0).fit(X, y)
importances = FeatureImportanceDisplay.from_estimator(forest)
