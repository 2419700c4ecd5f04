"""The splits of the study: k folds, optionally beside a held-out test set."""

import numbers

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.utils import Bunch

from .._frame import check_groups


def study_splits(y, groups=None, *, cv=5, test_size=None, random_state=0, source=None):
    """Fold and test-set positions for a modality comparison.

    Folds are stratified by class, and grouped when ``groups`` are given so
    that no patient has lesions on both sides of a split. With ``test_size``
    the paper's protocol applies: a stratified (and grouped) test set is held
    out first and never trained on, and the folds split the rest. Lesions
    from several data sets (``source``) are stratified by class within each
    data set, so that every fold holds each data set's lesions in proportion
    and can score it on its own.

    Parameters
    ----------
    y : array-like of shape (n_lesions,)
        Class labels.
    groups : array-like of shape (n_lesions,), default=None
        Patient (or lesion) ids.
    cv : int, default=5
        Number of folds.
    test_size : float or None, default=None
        Fraction of the lesions held out as the test set; ``None`` or 0 for
        plain k-fold cross-validation.
    random_state : int, default=0
        Seeds the shuffling; the same value always gives the same splits.
    source : array-like of shape (n_lesions,), default=None
        The data set of each lesion, e.g. ``concat_lesions(...).source``;
        ``None`` (or a single data set) stratifies by class alone.

    Returns
    -------
    splits : Bunch
        ``folds``: list of ``(train, validation)`` position arrays into ``y``;
        ``test``: positions of the held-out test set (empty without one);
        ``development``: positions the folds cover.

    Examples
    --------
    >>> import numpy as np
    >>> from skmultimodal.model_selection import study_splits
    >>> y = np.array(["nevus", "bcc"] * 50)
    >>> splits = study_splits(y, cv=5, test_size=0.2, random_state=0)
    >>> len(splits.folds), len(splits.test), len(splits.development)
    (5, 20, 80)
    """
    y = np.asarray(y)
    if not isinstance(cv, numbers.Integral) or isinstance(cv, bool) or cv < 2:
        raise ValueError(f"cv must be an integer of at least 2, got {cv!r}.")
    if groups is not None:
        groups = check_groups(groups, len(y))
    strata = _strata(y, source)
    positions = np.arange(len(y))
    test = np.array([], dtype=int)
    if test_size:
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"test_size must be between 0 and 1, got {test_size!r}.")
        # The first fold of a stratified (grouped) split is a test set of about
        # the requested size that keeps class proportions and whole patients.
        n_splits = max(2, int(round(1.0 / test_size)))
        held_out = _splitter(n_splits, groups, random_state)
        _, test = next(held_out.split(positions, strata, groups))
        positions = np.setdiff1d(positions, test)
    splitter = _splitter(cv, groups, random_state)
    folds = [
        (positions[train], positions[valid])
        for train, valid in splitter.split(
            positions, strata[positions], None if groups is None else groups[positions]
        )
    ]
    return Bunch(folds=folds, test=test, development=positions)


def _strata(y, source):
    """Class labels, or (data set, class) pairs when lesions come from several sets.

    With one data set the labels themselves are the strata, so that a study of
    one set splits exactly as it always has.
    """
    if source is None:
        return y
    source = np.asarray(source)
    if source.shape != y.shape:
        raise ValueError(
            f"source has shape {source.shape} for {len(y)} lesions; give the data "
            "set of every lesion."
        )
    if len(np.unique(source)) < 2:
        return y
    pairs = [f"{s}\x00{label}" for s, label in zip(source.tolist(), y.tolist())]
    return np.asarray(pairs)


def _splitter(n_splits, groups, random_state):
    if groups is None:
        return StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    return StratifiedGroupKFold(n_splits, shuffle=True, random_state=random_state)
