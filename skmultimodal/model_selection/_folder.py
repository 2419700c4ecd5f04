"""The study's output folder: files written whole, and what a rerun may trust.

A study written to a folder resumes there: a rerun keeps the candidates the
folder already holds in full and fits the others. Nothing in the folder is
trusted unchecked: the settings it was started with must match (or the rerun
is refused, naming the setting), and a candidate counts as done only when
both ``results.csv`` and ``predictions.csv`` hold every one of its folds,
splits and data sets, with the expected lesions.
"""

import hashlib
import json
import os
import re

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

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

#: Bumped when settings.json changes what it records; a folder of another
#: format cannot be checked, so it is not resumed.
SETTINGS_FORMAT = 2

# What a rerun must share with the run that started the folder, besides the
# caller's own settings: these decide the splits, the models and the data.
STUDY_KEYS = ("cv", "test_size", "random_state", "device", "candidates", "data")

# Estimator parameters that decide where and how fast a candidate runs, not
# what it computes: a seeded fit gives the same model whatever their value,
# so a rerun may change them (a larger machine, another GPU of the same kind).
# The device is still compared, as the kind of device the nets train on: CPU
# and CUDA training differ by more than rounding (bf16 autocast on CUDA).
FREE_PARAMS = ("device", "n_jobs", "verbose", "decode_jobs", "cache_dir")


def check_out(out):
    """Refuse an output folder that names a file, before anything runs."""
    if out is not None and os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"out={os.fspath(out)!r} is a file, not a folder.")


def write_csv(path, table):
    """Write ``table`` to ``path`` whole: an interruption leaves the old file."""
    temporary = path + ".tmp"
    table.to_csv(temporary, index=False)
    os.replace(temporary, path)


def write_json(path, content):
    """Write ``content`` to ``path`` whole, as indented JSON."""
    temporary = path + ".tmp"
    with open(temporary, "w") as file:
        json.dump(content, file, indent=2, default=str)
    os.replace(temporary, path)


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


def plain(value):
    """``value`` as JSON holds it, so that settings compare equal after a reload."""
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, BaseEstimator):
        params = value.get_params(deep=False)
        return {"estimator": type(value).__name__, "params": plain(params)}
    # An object's address changes from run to run; what it is does not.
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(value))


def data_fingerprint(X, y, groups, source):
    """A digest of the lesions, labels, groups and data sets of a study."""
    digest = hashlib.sha256()
    digest.update(X.to_csv().encode())
    for values in (y, groups, source):
        text = "none" if values is None else pd.Series(values).to_csv(index=False)
        digest.update(text.encode())
    return "sha256:" + digest.hexdigest()


def check_same_study(previous, current, caller_keys, out):
    """Refuse to continue ``previous`` when a setting that must match differs.

    The caller's own settings (a command line's data set, preset, seed) are
    compared first and, when any differs, named alone: the study's own
    settings then differ as a consequence.
    """
    if previous.get("format") != SETTINGS_FORMAT:
        raise ValueError(
            f"{out!r} holds results of a study written by another version of "
            "skmultimodal, whose settings.json does not record everything a resume "
            "checks; write to another folder, or delete that one to start again."
        )
    for keys in (caller_keys, STUDY_KEYS):
        changed = [key for key in keys if previous.get(key) != current.get(key)]
        if changed:
            details = "; ".join(_difference(key, previous, current) for key in changed)
            raise ValueError(
                f"{out!r} holds results of a study with other settings ({changed}): "
                f"{details}. Write to another folder (--out), or delete {out!r} to "
                "start again."
            )


def _difference(key, previous, current):
    before, now = previous.get(key), current.get(key)
    if key == "data":
        return "data: the lesions, labels, groups or data sets are not the same"
    if key == "candidates" and isinstance(before, dict) and isinstance(now, dict):
        added, removed = sorted(set(now) - set(before)), sorted(set(before) - set(now))
        if added or removed:
            return f"candidates: added {added}, removed {removed}"
        changes = []
        for name in now:
            was, is_ = _flat(before[name]), _flat(now[name])
            changes += [
                f"{name!r} {param} was {was.get(param)!r}, is {is_.get(param)!r}"
                for param in sorted(set(was) | set(is_))
                if was.get(param) != is_.get(param)
            ]
        return "candidates: " + ", ".join(changes)
    return f"{key} was {before!r}, is {now!r}"


def _flat(description):
    """A candidate's description with its parameters beside its kind."""
    rest = {k: v for k, v in description.items() if k != "params"}
    return {**description.get("params", {}), **rest}


def compared_params(estimator):
    """The parameters of a candidate a rerun must keep (all but FREE_PARAMS)."""
    params = estimator.get_params(deep=False)
    return plain({k: v for k, v in params.items() if k not in FREE_PARAMS})


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
