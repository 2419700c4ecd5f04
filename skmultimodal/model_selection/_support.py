"""Which candidates a data set supports, and why the others are left out.

A net is evaluated on a data set when every modality it uses is there for
some lesion (a clinical-image net on HAM10000, which has no clinical image,
would be the metadata net under another name) and every lesion has at least
one of its modalities (it cannot predict a lesion from nothing). The forest
needs metadata. Other estimators are run as they are.
"""

import warnings

import pandas as pd

from .._frame import format_rows, metadata_columns_of, modality_presence

_WITH_ARTICLE = {
    "dermoscopic": "a dermoscopic image",
    "clinical": "a clinical image",
    "metadata": "metadata",
}
#: How reasons name each modality.
NOUNS = {
    "dermoscopic": "dermoscopic image",
    "clinical": "clinical image",
    "metadata": "metadata",
}


class UnsupportedCandidateWarning(UserWarning):
    """A candidate of a study was left out: the data cannot evaluate it.

    The study's ``left_out_`` attribute says why, per candidate.

    Examples
    --------
    >>> import warnings
    >>> from skmultimodal.model_selection import UnsupportedCandidateWarning
    >>> warnings.simplefilter("ignore", UnsupportedCandidateWarning)
    """


def left_out_candidates(candidates, descriptions, X, source=None):
    """Why the data cannot evaluate each unsupported candidate.

    Parameters
    ----------
    candidates : dict of str to estimator
        The study's candidates.
    descriptions : dict of str to Candidate
        What each is.
    X : DataFrame
        The lesion frame.
    source : ndarray of str, default=None
        The data set of each lesion, named in the reasons.

    Returns
    -------
    left_out : dict of str to str
        Candidate name -> the reason, for the candidates left out only.
    """
    left_out = {}
    for name, estimator in candidates.items():
        reason = _unsupported(estimator, descriptions[name], X, source)
        if reason is not None:
            left_out[name] = reason
    if left_out:
        reasons = "; ".join(f"{name}: {reason}" for name, reason in left_out.items())
        warnings.warn(
            f"Left out {len(left_out)} candidate(s) the data cannot evaluate: {reasons}.",
            UnsupportedCandidateWarning,
            stacklevel=4,  # the caller of run() or compare_modalities()
        )
    return left_out


def _unsupported(estimator, candidate, X, source):
    if candidate.kind == "other":
        return None
    params = estimator.get_params(deep=False)
    columns = {
        "dermoscopic_column": params.get("dermoscopic_column", "dermoscopic"),
        "clinical_column": params.get("clinical_column", "clinical"),
    }
    metadata = params.get("metadata_columns")
    if "metadata" in candidate.modalities and not metadata_columns_of(
        X, metadata, columns.values()
    ):
        return "the lesion frame has no metadata column"
    presence = modality_presence(X, **columns, metadata_columns=metadata)
    for modality in candidate.modalities:
        if not presence[modality].any():
            return f"no lesion has {_WITH_ARTICLE[modality]}"
    if candidate.kind != "net":
        return None
    lacking = ~presence[list(candidate.modalities)].any(axis=1).to_numpy()
    if not lacking.any():
        return None
    n = int(lacking.sum())
    if source is None:
        where = f"rows {format_rows(X.index[lacking])}"
    else:
        counts = pd.Series(source[lacking]).value_counts(sort=False)
        where = (
            str(counts.index[0])
            if len(counts) == 1
            else ", ".join(f"{count} {name}" for name, count in counts.items())
        )
    lesions = "1 lesion" if n == 1 else f"{n} lesions"
    has = "has" if n == 1 else "have"
    none = " and ".join(f"no {NOUNS[m]}" for m in candidate.modalities)
    return f"{lesions} ({where}) {has} {none}"
