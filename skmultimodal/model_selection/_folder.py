"""The study's output folder: files written whole, and what a rerun may trust.

A study written to a folder resumes there: a rerun keeps the candidates the
folder already holds in full and fits the others. Nothing in the folder is
trusted unchecked: the settings it was started with must match (or the rerun
is refused, naming the setting: ``_settings``), and a candidate counts as done only when
both ``results.csv`` and ``predictions.csv`` hold every one of its folds,
splits and data sets, with the expected lesions.
"""

import json
import os
from datetime import datetime, timezone

import pandas as pd

from .._atomic import written_whole
from ._folds import RESULT_COLUMNS, expected_rows, scored_parts
from ._settings import check_same_study

RESULTS = "results.csv"
PREDICTIONS = "predictions.csv"
SETTINGS = "settings.json"
TABLE_MARKDOWN = "table.md"
TABLE_LATEX = "table.tex"

# pandas 2 reads floats back exactly only when asked to; pandas 3 always
# does, and deprecates the option.
_EXACT_FLOATS = (
    {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
)


def check_out(out):
    """Refuse an output folder that names a file, before anything runs."""
    if out is not None and os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"out={os.fspath(out)!r} is a file, not a folder.")


def write_csv(path, table):
    """Write ``table`` to ``path`` whole: an interruption leaves the old file."""
    with written_whole(path) as temporary:
        table.to_csv(temporary, index=False)


def write_json(path, content):
    """Write ``content`` to ``path`` whole, as indented JSON."""
    with written_whole(path) as temporary, open(temporary, "w") as file:
        json.dump(content, file, indent=2, default=str)


def read_csv(path):
    """A results or predictions file as written, or None when there is none.

    Names and lesion ids are read as text, so that an id such as ``0123``
    keeps its zero, and floats are read back exactly.
    """
    if not os.path.exists(path):
        return None
    return pd.read_csv(
        path,
        dtype={"candidate": str, "source": str, "index": str},
        keep_default_na=False,
        na_values=[""],
        **_EXACT_FLOATS,
    )


def read_settings(out):
    """The settings a study in ``out`` was started with, or None."""
    path = os.path.join(out, SETTINGS)
    if not os.path.exists(path):
        return None
    with open(path) as file:
        try:
            return json.load(file)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"{path!r} is not valid JSON ({error}), so the study in {out!r} cannot "
                "be checked; delete that folder to start again, or write to another one."
            ) from None


def complete_candidates(results, predictions, names, expected, lesions):
    """The candidates of ``names`` that both files hold in full.

    Parameters
    ----------
    results, predictions : DataFrame or None
        The folder's files.
    names : list of str
        The study's candidates.
    expected : DataFrame
        The results rows of one complete candidate (``expected_rows``).
    lesions : dict of tuple to list of str
        ``(fold, split)`` -> the sorted ids of the lesions it scores.

    Returns
    -------
    complete : list of str
        In the order of ``names``.
    """
    if results is None or predictions is None:
        return []
    keys = ["fold", "split", "source", "n_train", "n_scored"]
    wanted = sorted(map(tuple, expected[keys].astype(str).to_numpy().tolist()))
    complete = []
    for name in names:
        rows = results[results["candidate"] == name]
        found = sorted(map(tuple, rows[keys].astype(str).to_numpy().tolist()))
        if found != wanted:
            continue
        scored = predictions[predictions["candidate"] == name]
        ids = {
            key: sorted(part["index"].tolist())
            for key, part in scored.groupby(["fold", "split"], sort=False)
        }
        if {(int(fold), split): v for (fold, split), v in ids.items()} == lesions:
            complete.append(name)
    return complete


def check_columns(table, columns, path):
    """Refuse a results file whose columns are not the ones this study writes."""
    if table is not None and list(table.columns) != list(columns):
        raise ValueError(
            f"{path!r} has the columns {list(table.columns)}, but this study writes "
            f"{list(columns)}: it was not written by this study. Write to another "
            "folder, or delete that one to start again."
        )


class StudyFolder:
    """The study's files in ``out``, and what a rerun takes from them."""

    def __init__(self, out, settings, caller_keys):
        self.out = os.fspath(out)
        self.settings = settings
        self.caller_keys = caller_keys
        self.run = {
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "n_jobs": settings["n_jobs"],
        }

    def path(self, name):
        return os.path.join(self.out, name)

    def open(self, names, splits, X, source, classes):
        """Check the folder, keep its complete candidates and write the settings.

        Returns
        -------
        done : dict of str to tuple of DataFrame
            The results and predictions of each complete candidate.
        """
        os.makedirs(self.out, exist_ok=True)
        results = read_csv(self.path(RESULTS))
        predictions = read_csv(self.path(PREDICTIONS))
        done, runs = {}, []
        if results is not None or predictions is not None:
            previous = read_settings(self.out)
            if previous is None:
                raise ValueError(
                    f"{self.out!r} holds results but no {SETTINGS}, so nothing tells "
                    "which study wrote them; write to another folder, or delete that "
                    "one to start again."
                )
            check_same_study(previous, self.settings, self.caller_keys, self.out)
            check_columns(results, RESULT_COLUMNS, self.path(RESULTS))
            check_columns(
                predictions, _prediction_columns(classes, source), self.path(PREDICTIONS)
            )
            lesions = {
                (fold, split): sorted(str(v) for v in X.index[positions])
                for fold, parts in enumerate(scored_parts(splits))
                for split, positions in parts.items()
            }
            expected = expected_rows(splits, source)
            ids = dict(zip((str(v) for v in X.index), X.index))
            complete = complete_candidates(results, predictions, names, expected, lesions)
            for name in complete:
                scored = predictions[predictions["candidate"] == name].copy()
                # The ids were read as text; give them back their own type.
                scored["index"] = scored["index"].map(ids)
                done[name] = (results[results["candidate"] == name], scored)
            runs = previous.get("runs", [])
        # Only complete candidates stay: one interrupted halfway is fitted again.
        self.results = [rows for rows, _ in done.values()]
        self.predictions = [rows for _, rows in done.values()]
        self._write_files()
        self.run["resumed"] = list(done)
        self.settings["runs"] = [*runs, self.run]
        write_json(self.path(SETTINGS), self.settings)
        return done

    def add(self, results, predictions):
        """Save one more candidate."""
        self.results.append(results)
        self.predictions.append(predictions)
        self._write_files()

    def close(self, fitted, wall_time):
        """Record what this run fitted and how long it took."""
        wall_time = round(wall_time, 1)
        self.run.update(fitted=fitted, wall_time_s=wall_time)
        self.settings["wall_time_s"] = wall_time  # of this run, resumed or not
        write_json(self.path(SETTINGS), self.settings)

    def _write_files(self):
        # Predictions first: a candidate counts as done only once both hold it.
        for name, parts in ((PREDICTIONS, self.predictions), (RESULTS, self.results)):
            if parts:
                write_csv(self.path(name), pd.concat(parts, ignore_index=True))
            elif os.path.exists(self.path(name)):
                os.remove(self.path(name))


def _prediction_columns(classes, source):
    """The columns of the ``predictions.csv`` a study writes."""
    columns = ["candidate", "fold", "split", "index", "y_true"]
    if source is not None:
        columns.append("source")
    return columns + [f"proba_{c}" for c in classes]
