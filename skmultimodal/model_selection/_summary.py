"""Tables from the rows of a study: Table 1 of the paper, and modality robustness.

Pure summaries of results already computed: nothing here fits or reads files.
"""

import numpy as np
import pandas as pd

from ._candidates import DEDICATED, DIFFERENCE, ONE_MODEL, table_order

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
        or the ``results.csv`` the command line writes. Also the results of
        :func:`modality_robustness` (or the ``results.csv`` of
        ``skmultimodal robustness``), recognised by their ``available``
        column: they are summarised per available subset and candidate.
    split : {"validation", "test"}, default="validation"
        Summarise the scores on each fold's left-out part, or the scores of
        every fold's model on the held-out test set (the paper's protocol).
        The results of :func:`modality_robustness` hold the left-out folds'
        scores only.
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
        For the results of :func:`modality_robustness`, the rows are
        indexed by ``(available, candidate)``, subsets in the paper's order:
        ``"one model"``, ``"dedicated"`` and, where both were scored,
        ``"one model - dedicated"``, the mean and standard deviation of
        their fold-wise differences (both were scored on the same lesions of
        the same folds, so the differences say more than the two means).

    See Also
    --------
    format_summary : the same as Markdown, LaTeX or text, best values marked.
    modality_robustness : the results summarised per available subset.

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

    The results of :func:`modality_robustness`, per available subset:

    >>> robustness = pd.DataFrame({
    ...     "candidate": "one model", "fold": [0, 1, 0, 1],
    ...     "available": ["dsc", "dsc", "dsc + macro", "dsc + macro"],
    ...     "source": "all", "top1": 0.7, "map": [0.5, 0.7, 0.6, 0.8],
    ...     "auc_melanoma": 0.8, "auc_cancer": 0.9})
    >>> summarize(robustness)[("mAP", "mean")]
    available    candidate
    dsc          one model    0.6
    dsc + macro  one model    0.7
    Name: (mAP, mean), dtype: float64
    """
    if split not in ("validation", "test"):
        raise ValueError(f"split must be 'validation' or 'test', got {split!r}.")
    if "available" in results.columns:
        if split != "validation":
            raise ValueError(
                "The results of modality_robustness hold the scores on the left-out "
                f"folds only; summarise them with split='validation', not {split!r}."
            )
        return summarize_robustness(results, source=source)
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
        return markdown_table(cells, corner="candidate")
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


def summarize_robustness(results, *, source="all"):
    """Mean and standard deviation over folds per available subset and candidate.

    What :func:`summarize` gives for the results of
    :func:`modality_robustness`. Where both candidates were scored, a third
    row per subset, ``"one model - dedicated"``, gives the mean and the
    standard deviation of their fold-wise differences.

    Parameters
    ----------
    results : DataFrame
        ``modality_robustness(...).results``.
    source : str, default="all"
        Every lesion, or one data set's lesions.

    Returns
    -------
    summary : DataFrame
        Indexed by ``(available, candidate)``, subsets in the paper's order;
        columns as :func:`summarize`'s.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmultimodal.model_selection._summary import summarize_robustness
    >>> results = pd.DataFrame({
    ...     "candidate": ["one model", "dedicated"] * 2, "fold": [0, 0, 1, 1],
    ...     "available": "dsc", "source": "all", "top1": [0.6, 0.7, 0.8, 0.8],
    ...     "map": [0.5, 0.6, 0.7, 0.7], "auc_melanoma": 0.8, "auc_cancer": 0.9})
    >>> summarize_robustness(results)[("mAP", "mean")].round(3)
    available  candidate
    dsc        one model                0.60
               dedicated                0.65
               one model - dedicated   -0.05
    Name: (mAP, mean), dtype: float64
    """
    rows = select_source(results, source)
    metrics = list(METRIC_TITLES)
    scores = rows.groupby(["available", "candidate", "fold"])[metrics].mean()
    parts = [scores]
    candidates = scores.index.get_level_values("candidate")
    if {ONE_MODEL, DEDICATED} <= set(candidates):
        one = scores.xs(ONE_MODEL, level="candidate")
        other = scores.xs(DEDICATED, level="candidate")
        difference = (one - other).dropna(how="all")
        difference["candidate"] = DIFFERENCE
        parts.append(difference.set_index("candidate", append=True).reorder_levels(
            ["available", "candidate", "fold"]
        ))
    summary = pd.concat(parts).groupby(level=["available", "candidate"]).agg(
        ["mean", "std"]
    )
    summary = summary.rename(columns=METRIC_TITLES, level=0)
    order = {name: i for i, name in enumerate((ONE_MODEL, DEDICATED, DIFFERENCE))}
    available = table_order(summary.index.get_level_values("available").unique())
    index = sorted(
        summary.index,
        key=lambda key: (available.index(key[0]), order.get(key[1], len(order)), key[1]),
    )
    return summary.loc[index]


def format_robustness(summary, metric="mAP", *, digits=3):
    """One metric of :func:`summarize_robustness` as ``mean (std)`` per subset.

    Parameters
    ----------
    summary : DataFrame
        The output of :func:`summarize_robustness`.
    metric : str, default="mAP"
        The metric's title: ``"Top-1 Acc"``, ``"mAP"``, ``"AUC melanoma"`` or
        ``"AUC cancer"``.
    digits : int, default=3
        Decimals shown.

    Returns
    -------
    table : DataFrame of str
        One row per available subset, one column per candidate; differences
        signed. :func:`markdown_table` renders it.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmultimodal.model_selection._summary import (
    ...     format_robustness, markdown_table, summarize_robustness)
    >>> results = pd.DataFrame({
    ...     "candidate": ["one model", "dedicated"] * 2, "fold": [0, 0, 1, 1],
    ...     "available": ["dsc + macro"] * 2 + ["dsc"] * 2, "source": "all",
    ...     "top1": 0.8, "map": [0.7, 0.6, 0.6, 0.7], "auc_melanoma": 0.8,
    ...     "auc_cancer": 0.9})
    >>> print(markdown_table(format_robustness(summarize_robustness(results))))
    | available | one model | dedicated | one model - dedicated |
    | --- | --- | --- | --- |
    | dsc | 0.600 | 0.700 | -0.100 |
    | dsc + macro | 0.700 | 0.600 | +0.100 |
    """
    if metric not in METRIC_TITLES.values():
        raise ValueError(
            f"metric must be one of {list(METRIC_TITLES.values())}, got {metric!r}."
        )
    cells = {}
    for (available, candidate), row in summary[metric].iterrows():
        sign = "+" if candidate == DIFFERENCE else ""
        text = f"{row['mean']:{sign}.{digits}f}"
        if np.isfinite(row["std"]):
            text += f" ({row['std']:.{digits}f})"
        cells.setdefault(available, {})[candidate] = text
    table = pd.DataFrame.from_dict(cells, orient="index")
    table.index.name = "available"
    return table.fillna("")


def markdown_table(table, *, corner=None):
    """A DataFrame of strings as a Markdown table, its index first.

    ``corner`` heads the index column; the index's name by default.
    """
    if corner is None:
        corner = table.index.name or ""
    header = [corner, *table.columns]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(["---"] * len(header)) + " |"]
    lines += [
        f"| {name} | " + " | ".join(row) + " |"
        for name, row in zip(table.index, table.to_numpy())
    ]
    return "\n".join(lines)


def _latex_escape(text):
    for char in ("&", "%", "$", "#", "_", "{", "}"):
        text = text.replace(char, "\\" + char)
    return text
