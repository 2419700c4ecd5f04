"""The paper's modality comparison as one function call."""

from sklearn.utils import Bunch

from ._study import ModalityStudy


def compare_modalities(
    X,
    y,
    *,
    groups=None,
    candidates=None,
    cv=5,
    test_size=None,
    random_state=0,
    n_jobs=None,
    progress=False,
    on_candidate=None,
):
    """Evaluate every modality combination with the same splits and metrics.

    The study of Yap et al. (2018), run by :class:`ModalityStudy` without an
    output folder: each candidate (by default the fusion net on every
    modality combination of the paper plus metadata alone, each with and
    without embedding network, and the metadata random forest) is fitted on
    the same folds, each fold once, through :class:`joblib.Parallel` (so
    ``n_jobs`` and joblib backends apply), and scored with the paper's
    metrics from the probabilities of its one prediction. With
    ``test_size``, the paper's protocol: a test set is held out, the folds
    split the rest, and every fold's model is also scored on that same test
    set. Candidates the data cannot evaluate are left out, with an
    :class:`UnsupportedCandidateWarning`.

    Parameters
    ----------
    X : DataFrame of shape (n_lesions, n_columns)
        The lesion frame.
    y : array-like of shape (n_lesions,)
        Class labels.
    groups : array-like of shape (n_lesions,), default=None
        Patient ids: folds and test set then keep each patient on one side.
    candidates : dict of str to estimator, default=None
        Estimators by name; ``None`` means :func:`modality_candidates` with
        the paper's defaults. Pass ``modality_candidates(estimator)`` to
        share other settings (backbone, epochs, ...).
    cv : int, default=5
        Number of folds.
    test_size : float or None, default=None
        Fraction held out as the test set (the paper's protocol); ``None`` for
        plain k-fold cross-validation.
    random_state : int, default=0
        Seeds the splits; also the default seed of candidates without one.
    n_jobs : int or None, default=None
        Folds fitted in parallel. On one GPU, keep 1: parallel fits compete
        for its memory.
    progress : bool, default=False
        Show a progress bar over the fits with the time left.
    on_candidate : callable, default=None
        Called as ``on_candidate(name, results, predictions)`` after each
        candidate, e.g. to save partial results.

    Returns
    -------
    comparison : Bunch
        ``results``: DataFrame with one row per candidate, fold and split
        (``"validation"`` for the fold left out, ``"test"`` for the held-out
        set), ``source`` (``"all"``), the four metrics, fit time and sizes;
        ``predictions``: DataFrame with the probabilities behind them, one
        row per candidate, fold, split and lesion (``index`` is the lesion's
        row label, ``y_true`` its label, then one ``proba_<class>`` column
        per class); ``splits``: the :func:`study_splits` used;
        ``left_out``: the candidates left out, and why.

    See Also
    --------
    ModalityStudy : the same study with files, resume, figures and refits.
    summarize : Table 1 of the paper from ``results``.
    modality_candidates : the default candidates.

    Examples
    --------
    >>> import tempfile
    >>> from skmultimodal import MultimodalLesionClassifier
    >>> from skmultimodal.datasets import make_lesions
    >>> from skmultimodal.model_selection import compare_modalities, modality_candidates
    >>> X, y = make_lesions(60, image_size=32, directory=tempfile.mkdtemp(),
    ...                     random_state=0)
    >>> net = MultimodalLesionClassifier(backbone="resnet18", weights=None,
    ...     image_size=32, embedding_dims=(32,), max_epochs=1, random_state=0)
    >>> candidates = modality_candidates(
    ...     net, combinations=[("dermoscopic",), ("metadata",)], embedding=(True,))
    >>> comparison = compare_modalities(X, y, candidates=candidates, cv=3)
    >>> comparison.results.groupby("candidate").size()
    candidate
    dsc                   3
    meta                  3
    random forest meta    3
    dtype: int64
    """
    study = ModalityStudy(
        candidates, cv=cv, test_size=test_size, random_state=random_state,
        n_jobs=n_jobs, verbose=2 if progress else 0,
    )
    study._run(X, y, groups=groups, source=None, on_candidate=on_candidate)
    return Bunch(
        results=study.results_,
        predictions=study.predictions_,
        splits=study.splits_,
        left_out=study.left_out_,
    )
