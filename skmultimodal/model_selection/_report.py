"""The study's tables and figures, as files."""

import os

from ._folder import TABLE_LATEX, TABLE_MARKDOWN
from ._folds import ALL_SOURCES
from ._summary import format_summary, summarize

#: The figures :meth:`ModalityStudy.write_figures` writes.
FIGURES = (
    "roc_melanoma.png",
    "map_boxplot.png",
    "confusion_matrices.png",
    "forest_importances.png",
)


def figure_candidates(candidates):
    """The candidates drawn as curves and matrices: all but nets without embedding.

    Parameters
    ----------
    candidates : dict of str to Candidate
        The candidates evaluated.

    Returns
    -------
    names : list of str
        In the order of ``candidates``.
    """
    return [
        name
        for name, candidate in candidates.items()
        if candidate.kind != "net" or candidate.embedding
    ]


def describe_scores(split, cv, source=ALL_SOURCES):
    """What a table of ``split`` scores shows, in words."""
    if split == "validation":
        what = f"{cv}-fold cross-validation, scored on the left-out fold"
    else:
        what = "every fold's model scored on the held-out test set"
    if source != ALL_SOURCES:
        what += f"; {source} lesions only"
    return what


def tables(results, splits, sources, cv):
    """``(split, source, description, summary)`` for every table of a study."""
    return [
        (
            split,
            source,
            describe_scores(split, cv, source),
            summarize(results, split=split, source=source),
        )
        for split in splits
        for source in sources
    ]


def write_tables(directory, title, study_tables):
    """Write ``table.md`` and ``table.tex`` from :func:`tables`."""
    with open(os.path.join(directory, TABLE_MARKDOWN), "w") as file:
        for _, _, what, summary in study_tables:
            file.write(f"## {title}: {what}\n\n")
            file.write("mean (standard deviation) over folds; best in bold\n\n")
            file.write(format_summary(summary, "markdown") + "\n\n")
    with open(os.path.join(directory, TABLE_LATEX), "w") as file:
        for _, _, what, summary in study_tables:
            file.write(f"% {title}: {what}\n" + format_summary(summary, "latex") + "\n\n")


def write_figures(directory, results, predictions, *, split, curves, forest):
    """Write the study's figures; return their paths.

    Parameters
    ----------
    directory : str
        Where to write.
    results, predictions : DataFrame
        The study's.
    split : {"validation", "test"}
        The scores drawn.
    curves : list of str
        The candidates drawn as ROC curves and confusion matrices.
    forest : MetadataForestClassifier or None
        A fitted forest whose importances to draw.
    """
    import matplotlib.pyplot as plt

    from ..plotting import (
        ConfusionMatricesDisplay,
        FeatureImportanceDisplay,
        MelanomaRocDisplay,
        MetricBoxPlotDisplay,
    )

    if "source" in results.columns:
        results = results[results["source"] == ALL_SOURCES]
    figures = {
        "roc_melanoma.png": MelanomaRocDisplay.from_comparison(
            predictions, split=split, candidates=curves
        ).figure_,
        "map_boxplot.png": MetricBoxPlotDisplay.from_results(results, split=split).figure_,
        "confusion_matrices.png": ConfusionMatricesDisplay.from_comparison(
            predictions, split=split, candidates=curves
        ).figure_,
    }
    if forest is not None:
        figures["forest_importances.png"] = FeatureImportanceDisplay.from_estimator(
            forest
        ).figure_
    paths = []
    for name, figure in figures.items():
        paths.append(os.path.join(directory, name))
        figure.savefig(paths[-1], dpi=120, bbox_inches="tight")
        plt.close(figure)
    return paths
