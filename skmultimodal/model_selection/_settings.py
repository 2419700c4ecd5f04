"""What a study's ``settings.json`` records, and which of it a resume requires equal.

A rerun in a study's folder continues it only when the caller's own settings
(a command line's data set, preset, seed) and the settings that decide the
splits, the models and the data (:data:`STUDY_KEYS`) are those it was started
with; the rest (sizes, versions, runs) is recorded for the reader.
"""

import hashlib
import json
import os
import platform
import re
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator

from ..neural import MultimodalLesionClassifier
from ..neural._device import resolve_device
from ._candidates import Candidate

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

# The libraries whose versions settings.json records.
_LIBRARIES = (
    "skmultimodal", "torch", "torchvision", "scikit-learn", "skorch", "pandas", "numpy",
)
# settings.json keys the study writes itself; a caller's settings take others.
RECORDED = (
    "format", *STUDY_KEYS, "n_lesions", "classes", "sources", "left_out", "n_jobs",
    "runs", "versions", "wall_time_s",
)


def study_settings(study, candidates, kept, left_out, X, y, groups, source):
    """What ``settings.json`` records of a run of ``study`` (its runs aside).

    Parameters
    ----------
    study : ModalityStudy
        Its ``settings``, ``cv``, ``test_size``, ``random_state`` and ``n_jobs``.
    candidates : dict of str to estimator
        Every candidate, seeded.
    kept : dict of str to estimator
        The candidates the data support.
    left_out : dict of str to str
        The others, and why.
    X, y, groups, source
        The study's data, as checked.

    Returns
    -------
    settings : dict
        As a reload of the JSON gives it.
    """
    nets = [e for e in kept.values() if isinstance(e, MultimodalLesionClassifier)]
    devices = sorted({torch.device(resolve_device(net.device)).type for net in nets})
    settings = {
        "format": SETTINGS_FORMAT,
        **plain(study.settings or {}),
        "cv": study.cv,
        "test_size": study.test_size or None,
        "random_state": study.random_state,
        "device": devices or None,
        "candidates": {
            name: {
                **plain(vars(Candidate.from_estimator(estimator))),
                "estimator": type(estimator).__name__,
                "params": compared_params(estimator),
            }
            for name, estimator in candidates.items()
        },
        "data": data_fingerprint(X, y, groups, source),
        "n_lesions": len(X),
        "classes": _counts(y),
        "sources": None if source is None else _counts(source),
        "left_out": left_out,
        "n_jobs": study.n_jobs,
        "versions": _versions(),
    }
    # As a reload gives it: tuples become lists, so that settings compare equal.
    return json.loads(json.dumps(settings, default=str))


def compared_params(estimator):
    """The parameters of a candidate a rerun must keep (all but FREE_PARAMS)."""
    params = estimator.get_params(deep=False)
    return plain({k: v for k, v in params.items() if k not in FREE_PARAMS})


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


def _counts(values):
    """How many lesions have each value, in order of first appearance."""
    counts = pd.Series(values).value_counts(sort=False)
    return {str(k): int(v) for k, v in counts.items()}


def _versions():
    """The versions of Python and of the libraries a study's results depend on."""
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions
