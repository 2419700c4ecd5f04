"""
=====================================================
The paper's modality comparison: table and figures
=====================================================

The study of Yap et al. (2018) in Python: the fusion network on several
modality combinations and the random forest on the metadata, evaluated on
the same folds with the same metrics; then the paper's Table 1, its melanoma
ROC curves, mAP box plots, confusion matrices and forest importances.

:class:`~skmultimodal.model_selection.ModalityStudy` runs it: the same
object the command ``skmultimodal compare`` drives for the full version
(every combination, with and without embedding network, five folds). This
example runs a small version on the demo data: four combinations, three
folds, a CPU-sized network.
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
# What each candidate is — a net or the forest, its modalities, with or
# without embedding network — is read from the estimator, not from its name;
# the study decides from it which candidates the data support and which are
# drawn as curves.
from skmultimodal.model_selection import Candidate

{name: Candidate.from_estimator(estimator) for name, estimator in candidates.items()}

# %%
# The study
# ---------
# :class:`~skmultimodal.model_selection.ModalityStudy` draws the folds once —
# stratified by class, grouped by patient — and fits every candidate on them,
# each fold once; every score comes from the probabilities of that one
# prediction. Candidates without a seed get the study's ``random_state``.
# With ``out="folder"`` it would also write its results, tables and
# settings there, and resume from them after an interruption.
from skmultimodal.model_selection import ModalityStudy

study = ModalityStudy(candidates, cv=3, random_state=0)
study.run(X, y, groups=patients)
study.results_.head()

# %%
# Table 1
# -------
# The study's ``summary()`` gives the mean and the standard deviation over
# folds of each metric per candidate, in the paper's order;
# :func:`~skmultimodal.model_selection.format_summary` renders it as
# Markdown, LaTeX or a DataFrame, best values marked.
from skmultimodal.model_selection import format_summary

summary = study.summary()
print(format_summary(summary, "markdown"))

# %%
# The same as a DataFrame, the best value of each column marked with ``*``:
format_summary(summary, "frame")

# %%
# Because all candidates were scored on the same folds, compare them fold by
# fold: here the difference in mAP between the full network and dermoscopy
# alone, per fold. A gain that holds in every fold says more than a
# difference between two means.
per_fold = study.results_.pivot(
    index="fold", columns="candidate", values="map"
)
(per_fold["dsc + macro + meta"] - per_fold["dsc"]).round(3)

# %%
# ROC curves for melanoma
# -----------------------
# From the out-of-fold probabilities in ``study.predictions_``: every
# lesion is scored by the one fold model that did not train on it.
# ``study.write_figures(directory)`` saves this and the figures below as PNG
# files, as the command line does.
from skmultimodal.plotting import MelanomaRocDisplay

roc = MelanomaRocDisplay.from_comparison(study.predictions_)

# %%
# mAP over the folds
# ------------------
from skmultimodal.plotting import MetricBoxPlotDisplay

boxes = MetricBoxPlotDisplay.from_results(study.results_, metric="map")

# %%
# Confusion matrices
# ------------------
# Normalised by the true class, so the diagonal holds each class's
# sensitivity.
from skmultimodal.plotting import ConfusionMatricesDisplay

nets = ["macro", "dsc", "dsc + macro + meta"]
matrices = ConfusionMatricesDisplay.from_comparison(
    study.predictions_, candidates=nets
)

# %%
# The forest's feature importances
# --------------------------------
# Impurity-based importances of the metadata forest refitted by the study on
# all lesions (``refit`` fits any candidate on every lesion outside the test
# set, seeded as in the folds), one bar per column of the lesion frame (the
# indicators of a categorical column summed).
from skmultimodal.model_selection import FOREST_NAME
from skmultimodal.plotting import FeatureImportanceDisplay

forest = study.refit(FOREST_NAME)
importances = FeatureImportanceDisplay.from_estimator(forest)
