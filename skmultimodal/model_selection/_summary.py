"""Table 1 of the paper from the rows of a modality comparison."""

import numpy as np
import pandas as pd

from ._candidates import table_order

# The paper's column titles for the scorer names.
METRIC_TITLES = {
    "top1": "Top-1 Acc",
    "map": "mAP",
    "auc_melanoma": "AUC melanoma",
    "auc_cancer": "AUC cancer",
}


def summarize(results, *, split="validation", source="all"):
    """Mean and standard deviation over folds of each metric, per candidate.

    Parameters
    ----------
    results : DataFrame
        :attr:`ModalityStudy.results_`, ``compare_modalities(...).results``
        or the ``results.csv`` the command line writes.
    split : {"validation", "test"}, default="validation"
        Summarise the scores on each fold's left-out part, or the scores of
        every fold's model on the held-out test set (the paper's protocol).
    source : str, default="all"
        In a study of several data sets, ``"all"`` summarises the scores on
        every lesion and a data set's name the scores on that set's lesions
        alone. Results without a ``source`` column hold ``"all"`` only.

    Returns
    -------
    summary : DataFrame
        One row per candidate in the paper's order; columns are a
        ``(metric, statistic)`` MultiIndex with metrics ``"Top-1 Acc"``,
        ``"mAP"``, ``"AUC melanoma"``, ``"AUC cancer"`` and statistics
        ``"mean"``, ``"std"`` (sample standard deviation over folds).

    See Also
    --------
    format_summary : the same as Markdown, LaTeX or text, best values marked.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmultimodal.model_selection import summarize
    >>> results = pd.DataFrame({
    ...     "candidate": ["dsc", "dsc", "macro", "macro"], "fold": [0, 1, 0, 1],
    ...     "split": "validation", "top1": [0.8, 0.6, 0.5, 0.7],
    ...     "map": [0.7, 0.5, 0.4, 0.4], "auc_melanoma": [0.9, 0.8, 0.6, 0.7],
    ...     "auc_cancer": [0.8, 0.8, 0.7, 0.9]})
    >>> summarize(results)["mAP"]
               mean       std
    candidate
    macro       0.4  0.000000
    dsc         0.6  0.141421
    """
    if split not in ("validation", "test"):
        raise ValueError(f"split must be 'validation' or 'test', got {split!r}.")
    results = select_source(results, source)
    rows = results[results["split"] == split]
    if rows.empty:
        available = sorted(results["split"].unique())
        raise ValueError(
            f"results hold no {split!r} scores (splits present: {available}); "
            "test scores exist only when the study had a test_size."
        )
    summary = rows.groupby("candidate")[list(METRIC_TITLES)].agg(["mean", "std"])
    summary = summary.rename(columns=METRIC_TITLES, level=0)
    return summary.loc[table_order(summary.index)]


def select_source(results, source="all"):
    """The rows of ``results`` that score the lesions of ``source``."""
    if "source" not in results.columns:
        if source != "all":
            raise ValueError(
                f"results hold no scores per data set, so source must be 'all', got "
                f"{source!r}."
            )
        return results
    rows = results[results["source"] == source]
    if rows.empty:
        available = list(dict.fromkeys(results["source"]))
        raise ValueError(
            f"results hold no scores for source {source!r}; sources present: "
            f"{available}."
        )
    return rows


def format_summary(summary, style="markdown", *, digits=3):
    """Render a :func:`summarize` table as ``mean (std)``, best per column marked.

    Parameters
    ----------
    summary : DataFrame
        The output of :func:`summarize`.
    style : {"markdown", "latex", "frame"}, default="markdown"
        Markdown (best in bold), LaTeX ``tabular`` (best in ``\\textbf``), or a
        DataFrame of strings (best followed by ``*``).
    digits : int, default=3
        Decimals shown.

    Returns
    -------
    table : str or DataFrame
        The rendered table.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmultimodal.model_selection import format_summary
    >>> columns = pd.MultiIndex.from_product([["mAP"], ["mean", "std"]])
    >>> summary = pd.DataFrame([[0.4, 0.01], [0.6, 0.02]],
    ...                        index=pd.Index(["macro", "dsc"], name="candidate"),
    ...                        columns=columns)
    >>> print(format_summary(summary))
    | candidate | mAP |
    | --- | --- |
    | macro | 0.400 (0.010) |
    | dsc | **0.600 (0.020)** |
    """
    if style not in ("markdown", "latex", "frame"):
        raise ValueError(f"style must be 'markdown', 'latex' or 'frame', got {style!r}.")
    metrics = list(dict.fromkeys(summary.columns.get_level_values(0)))
    marks = {
        "markdown": ("**", "**"),
        "latex": ("\\textbf{", "}"),
        "frame": ("", " *"),
    }[style]
    cells = pd.DataFrame(index=summary.index, columns=metrics, dtype=object)
    for metric in metrics:
        means = summary[(metric, "mean")]
        stds = summary[(metric, "std")]
        best = means.max()
        for candidate in summary.index:
            mean, std = means[candidate], stds[candidate]
            text = f"{mean:.{digits}f} ({std:.{digits}f})" if np.isfinite(std) else (
                f"{mean:.{digits}f}"
            )
            # Ties at the shown precision are all marked.
            if np.isfinite(mean) and round(mean, digits) == round(best, digits):
                text = marks[0] + text + marks[1]
            cells.loc[candidate, metric] = text
    if style == "frame":
        return cells
    if style == "markdown":
        lines = [
            "| candidate | " + " | ".join(metrics) + " |",
            "| " + " | ".join(["---"] * (len(metrics) + 1)) + " |",
        ]
        lines += [
            f"| {candidate} | " + " | ".join(row) + " |"
            for candidate, row in zip(cells.index, cells.to_numpy())
        ]
        return "\n".join(lines)
    lines = [
        "\\begin{tabular}{l" + "c" * len(metrics) + "}",
        "\\hline",
        "Candidate & " + " & ".join(metrics) + " \\\\",
        "\\hline",
    ]
    lines += [
        f"{_latex_escape(candidate)} & " + " & ".join(row) + " \\\\"
        for candidate, row in zip(cells.index, cells.to_numpy())
    ]
    lines += ["\\hline", "\\end{tabular}"]
    return "\n".join(lines)


def _latex_escape(text):
    for char in ("&", "%", "$", "#", "_", "{", "}"):
        text = text.replace(char, "\\" + char)
    return text
