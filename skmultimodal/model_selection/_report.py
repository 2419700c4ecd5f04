"""The tables and figures of a study and of modality robustness, as files."""

import os

from ._folder import PREDICTIONS, RESULTS, TABLE_LATEX, TABLE_MARKDOWN, write_csv
from ._folds import ALL_SOURCES
from ._summary import (
    METRIC_TITLES,
    format_robustness,
    format_summary,
    markdown_table,
    summarize,
    summarize_robustness,
)

#: The figures :meth:`ModalityStudy.write_figures` writes.
FIGURES = (
    "roc_melanoma.png",
    "map_boxplot.png",
    "confusion_matrices.png",
    "forest_importances.png",
)
#: The files :func:`write_robustness` writes.
ROBUSTNESS_FILES = (RESULTS, PREDICTIONS, TABLE_MARKDOWN, "robustness.png")


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
    paths = [os.path.join(directory, name) for name in figures]
    for path, figure in zip(paths, figures.values()):
        _save(figure, path)
    return paths


def write_robustness(directory, robustness, *, title):
    """Write the files of a :func:`modality_robustness`; return their paths.

    ``results.csv``, ``predictions.csv``, ``table.md`` (per metric, the mean
    and standard deviation over folds per available subset, for every lesion
    and for each data set) and ``robustness.png`` (mAP by available subset,
    every lesion): :data:`ROBUSTNESS_FILES`.

    Parameters
    ----------
    directory : str or path-like
        Where to write; created if needed.
    robustness : Bunch
        What :func:`modality_robustness` returned.
    title : str
        The heading of the tables and the figure.
    """
    from ..plotting import ModalityRobustnessDisplay

    os.makedirs(directory, exist_ok=True)
    paths = [os.path.join(directory, name) for name in ROBUSTNESS_FILES]
    results = robustness.results
    write_csv(paths[0], results)
    write_csv(paths[1], robustness.predictions)
    cv = len(robustness.splits.folds)
    sections = []
    for source in dict.fromkeys(results["source"]):
        summary = summarize_robustness(results, source=source)
        lesions = "every lesion" if source == ALL_SOURCES else f"{source} lesions only"
        sections += [
            f"## {title}: {metric}, {cv}-fold cross-validation, {lesions}\n\n"
            "mean (standard deviation) over folds, by the modalities available\n\n"
            + markdown_table(format_robustness(summary, metric)) + "\n\n"
            for metric in METRIC_TITLES.values()
        ]
    with open(paths[2], "w") as file:
        file.write("".join(sections))
    display = ModalityRobustnessDisplay.from_results(results)
    display.ax_.set_title(f"{title}: {display.ax_.get_title()}")
    _save(display.figure_, paths[3])
    return paths


def _save(figure, path):
    """Write ``figure`` as a PNG file and free it: a study draws many."""
    import matplotlib.pyplot as plt

    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)
