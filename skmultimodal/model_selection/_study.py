"""The paper's study as an object: run, resume, tables, figures and refits.

The pieces, each usable on its own: ``_candidates`` (what each candidate is),
``_support`` (which ones the data support), ``_checks`` (what is refused
before any fit), ``_splits`` (folds and test set), ``_folds`` (one candidate
on the folds, fitted and predicted once, scored from the stored
probabilities), ``_settings`` (what ``settings.json`` records and a resume
compares), ``_folder`` (the output folder and what a resume takes from it)
and ``_report`` (tables and figures). A new protocol (an official
train/test split, repeated folds) is a new way to draw ``splits_``:
everything downstream reads the positions it holds. Whatever defines it
belongs in the settings a resume compares (``STUDY_KEYS``).
"""

import numbers
import os
import time

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from tqdm.auto import tqdm

from .._compat import Interval, validate_parameter_constraints
from ._candidates import Candidate, modality_candidates
from ._checks import check_candidates, check_data
from ._folder import StudyFolder, check_out
from ._folds import ALL_SOURCES, evaluate_candidate, fit_on, seeded
from ._report import figure_candidates, tables, write_figures, write_tables
from ._settings import RECORDED, study_settings
from ._splits import study_splits
from ._summary import summarize
from ._support import left_out_candidates


class ModalityStudy:
    """The modality comparison of Yap et al. (2018), with its files and figures.

    Every candidate (by default the fusion net on each modality combination
    of the paper, with and without embedding network, and the metadata
    random forest) is fitted on the same stratified, patient-grouped folds;
    each fold is fitted once and predicted once, and every metric, on the
    left-out fold and on the held-out test set, comes from those stored
    probabilities. Candidates the data cannot evaluate are left out, with
    the reason (a clinical-image net on a data set without clinical images).

    With ``out``, the study writes ``results.csv`` and ``predictions.csv``
    after each candidate, then ``table.md``, ``table.tex`` and
    ``settings.json``; run again with the same settings, it resumes: the
    candidates the folder holds in full are read back, the others fitted.

    Parameters
    ----------
    candidates : dict of str to estimator, default=None
        Estimators by name; ``None`` means :func:`modality_candidates` with
        the paper's defaults. What each is (net, forest, modalities,
        embedding network) is read from the estimator, never from its name.
    cv : int, default=5
        Number of folds.
    test_size : float or None, default=None
        Fraction held out as a test set that every fold's model is also
        scored on (the paper's protocol); ``None`` for plain k-fold
        cross-validation.
    random_state : int, default=0
        Seeds the splits, and the candidates that have no seed of their own.
    n_jobs : int or None, default=None
        Folds fitted at once, through :class:`joblib.Parallel` (so joblib
        backends such as Dask apply). On one GPU, keep 1: parallel fits
        compete for its memory. Seeded results do not depend on it.
    out : str or path-like, default=None
        Folder for the study's files, created if needed; ``None`` keeps
        everything in memory.
    settings : dict, default=None
        Further settings that define the study for its caller, e.g. the
        data set and preset a command line was given. Recorded in
        ``settings.json``; a resume requires them equal.
    title : str, default=None
        How the tables' headings name the study, e.g. ``"MILK10k, paper
        preset"``; ``None`` means ``"Modality comparison"``.
    verbose : int, default=0
        0: silent; 1: say which candidates were left out or read back; 2:
        also a progress bar over the fits with the time left.

    Attributes
    ----------
    results_ : DataFrame
        One row per candidate, fold, split and source: ``candidate``,
        ``fold``, ``split`` (``"validation"``, the left-out fold, or
        ``"test"``), ``source`` (``"all"``, or one data set's lesions),
        ``top1``, ``map``, ``auc_melanoma``, ``auc_cancer``, ``fit_time``,
        ``n_train`` and ``n_scored``.
    predictions_ : DataFrame
        The probabilities behind the scores: one row per candidate, fold,
        split and lesion, with ``index`` (the lesion's row label),
        ``y_true``, ``source`` (with several data sets) and one
        ``proba_<class>`` column per class.
    splits_ : Bunch
        The :func:`study_splits` used.
    candidates_ : dict of str to Candidate
        The candidates evaluated, in the order of ``candidates``.
    left_out_ : dict of str to str
        The candidates left out, and why.
    classes_ : ndarray
        The classes, in the order of the ``proba_`` columns.
    sources_ : list of str or None
        The data sets, when the lesions come from several.
    resumed_ : list of str
        The candidates read back from ``out`` rather than fitted.
    settings_ : dict
        What ``settings.json`` records (also without ``out``).

    See Also
    --------
    compare_modalities : the same study as one function call.
    modality_candidates : the default candidates.
    summarize : the paper's table from ``results_``.

    Examples
    --------
    >>> import os, tempfile
    >>> from skmultimodal import MetadataForestClassifier, MultimodalLesionClassifier
    >>> from skmultimodal.datasets import make_lesions
    >>> from skmultimodal.model_selection import ModalityStudy, modality_candidates
    >>> X, y, patients = make_lesions(60, image_size=32, directory=tempfile.mkdtemp(),
    ...                               return_groups=True, random_state=0)
    >>> net = MultimodalLesionClassifier(backbone="resnet18", weights=None,
    ...     image_size=32, embedding_dims=(32,), max_epochs=1)
    >>> candidates = modality_candidates(
    ...     net, MetadataForestClassifier(n_estimators=20),
    ...     combinations=[("dermoscopic",), ("metadata",)], embedding=(True,))
    >>> study = ModalityStudy(candidates, cv=3, out=tempfile.mkdtemp())
    >>> study.run(X, y, groups=patients).summary()["mAP"].index.tolist()
    ['dsc', 'meta', 'random forest meta']
    >>> sorted(os.listdir(study.out))
    ['predictions.csv', 'results.csv', 'settings.json', 'table.md', 'table.tex']
    """

    _parameter_constraints = {
        "candidates": [dict, None],
        "cv": [Interval(numbers.Integral, 2, None, closed="left")],
        "test_size": [Interval(numbers.Real, 0, 1, closed="left"), None],
        # Seeds numpy and torch draw from, so that the splits can be drawn again.
        "random_state": [Interval(numbers.Integral, 0, 2**32 - 1, closed="both")],
        "n_jobs": [
            Interval(numbers.Integral, None, -1, closed="right"),
            Interval(numbers.Integral, 1, None, closed="left"),
            None,
        ],
        "out": [str, os.PathLike, None],
        "settings": [dict, None],
        "title": [str, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        candidates=None,
        *,
        cv=5,
        test_size=None,
        random_state=0,
        n_jobs=None,
        out=None,
        settings=None,
        title=None,
        verbose=0,
    ):
        self.candidates = candidates
        self.cv = cv
        self.test_size = test_size
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.out = out
        self.settings = settings
        self.title = title
        self.verbose = verbose

    def run(self, X, y, *, groups=None, source=None):
        """Evaluate every candidate the data support; resume from ``out``.

        Parameters
        ----------
        X : DataFrame of shape (n_lesions, n_columns)
            The lesion frame.
        y : array-like of shape (n_lesions,)
            Class labels.
        groups : array-like of shape (n_lesions,), default=None
            Patient ids: folds and test set keep each patient on one side.
        source : array-like of shape (n_lesions,), default=None
            The data set of each lesion (``concat_lesions(...).source``):
            folds are then stratified within each data set, and every score
            is also given for each data set's lesions alone.

        Returns
        -------
        self : ModalityStudy
            The study, with its results.
        """
        return self._run(X, y, groups=groups, source=source)

    def summary(self, split="validation", source=ALL_SOURCES):
        """The paper's table: mean and standard deviation over folds.

        Parameters
        ----------
        split : {"validation", "test"}, default="validation"
            Scores on the left-out folds, or on the held-out test set.
        source : str, default="all"
            Every lesion, or one data set's lesions.

        Returns
        -------
        summary : DataFrame
            See :func:`summarize`; render it with :func:`format_summary`.
        """
        self._check_ran()
        return summarize(self.results_, split=split, source=source)

    def refit(self, name):
        """Fit one candidate on every lesion outside the held-out test set.

        Parameters
        ----------
        name : str
            The candidate, a key of ``candidates_``.

        Returns
        -------
        estimator : estimator
            A new fitted clone, seeded as in the folds.
        """
        self._check_ran()
        if name not in self.candidates_:
            raise KeyError(
                f"No candidate {name!r} was evaluated; the study's candidates are "
                f"{list(self.candidates_)}."
            )
        X, y, groups, _ = self._data
        estimator = clone(self._estimators[name])
        return fit_on(estimator, X, y, groups, self.splits_.development)

    def write_figures(self, directory=None):
        """Write the paper's figures as PNG files.

        ``roc_melanoma.png`` and ``confusion_matrices.png`` (every candidate
        but the nets without embedding network), ``map_boxplot.png`` and,
        when a forest was evaluated, ``forest_importances.png`` (the forest
        refitted on every lesion outside the test set). They show the
        held-out test set when there is one, else the left-out folds, and
        every lesion of every data set.

        Parameters
        ----------
        directory : str or path-like, default=None
            Where to write; ``None`` means ``out``.

        Returns
        -------
        paths : list of str
            The files written.
        """
        self._check_ran()
        directory = self.out if directory is None else directory
        if directory is None:
            raise ValueError("The study has no `out` folder; pass the directory to write.")
        os.makedirs(directory, exist_ok=True)
        forests = [n for n, c in self.candidates_.items() if c.kind == "forest"]
        return write_figures(
            directory,
            self.results_,
            self.predictions_,
            split="test" if len(self.splits_.test) else "validation",
            curves=figure_candidates(self.candidates_),
            forest=self.refit(forests[0]) if forests else None,
        )

    def _check_ran(self):
        if not hasattr(self, "results_"):
            raise NotFittedError(
                f"This {type(self).__name__} has not run yet; call run(X, y) first."
            )

    # -- the run ------------------------------------------------------------

    def _run(self, X, y, *, groups, source, on_candidate=None):
        started = time.perf_counter()
        candidates = self._check_params()
        X, y, groups, source = check_data(X, y, groups, source)
        descriptions = {n: Candidate.from_estimator(e) for n, e in candidates.items()}
        left_out = left_out_candidates(candidates, descriptions, X, source)
        kept = {name: e for name, e in candidates.items() if name not in left_out}
        if not kept:
            raise ValueError(
                "The data cannot evaluate any of the candidates: "
                + "; ".join(f"{name}: {reason}" for name, reason in left_out.items())
                + "."
            )
        self._say(*(f"Left out {name}: {reason}." for name, reason in left_out.items()))
        splits = study_splits(
            y,
            groups,
            cv=self.cv,
            test_size=self.test_size,
            random_state=self.random_state,
            source=source,
        )
        classes = np.unique(y)
        settings = study_settings(self, candidates, kept, left_out, X, y, groups, source)
        folder, done = None, {}
        if self.out is not None:
            folder = StudyFolder(self.out, settings, list(self.settings or {}))
            done = folder.open(kept, splits, X, source, classes)
            if done:
                self._say(
                    f"Resuming: {len(done)} of {len(kept)} candidates are already in "
                    f"{self.out}."
                )

        pending = [name for name in kept if name not in done]
        bar = tqdm(
            total=len(pending) * len(splits.folds),
            desc="Fits",
            unit="fit",
            disable=self.verbose < 2,
        )
        fitted = {}
        for name in pending:
            bar.set_postfix_str(name)
            results, predictions = evaluate_candidate(
                name,
                kept[name],
                X,
                y,
                groups=groups,
                splits=splits,
                classes=classes,
                source=source,
                n_jobs=self.n_jobs,
                on_fold=lambda: bar.update(1),
            )
            fitted[name] = (results, predictions)
            if folder is not None:
                folder.add(results, predictions)
            if on_candidate is not None:
                on_candidate(name, results, predictions)
        bar.close()

        parts = [done[name] if name in done else fitted[name] for name in kept]
        self.results_ = pd.concat([p[0] for p in parts], ignore_index=True)
        self.predictions_ = pd.concat([p[1] for p in parts], ignore_index=True)
        self.splits_ = splits
        self.candidates_ = {name: descriptions[name] for name in kept}
        self.left_out_ = left_out
        self.classes_ = classes
        self.sources_ = None if source is None else list(dict.fromkeys(source.tolist()))
        self.resumed_ = list(done)
        self.settings_ = settings
        self._estimators = kept
        self._data = (X, y, groups, source)
        if folder is not None:
            study_tables = tables(
                self.results_,
                ["validation", "test"] if len(splits.test) else ["validation"],
                [ALL_SOURCES, *(self.sources_ or [])],
                self.cv,
            )
            write_tables(self.out, self.title or "Modality comparison", study_tables)
            folder.close(list(fitted), time.perf_counter() - started)
        return self

    def _check_params(self):
        params = {name: getattr(self, name) for name in self._parameter_constraints}
        validate_parameter_constraints(
            self._parameter_constraints, params, caller_name=type(self).__name__
        )
        candidates = modality_candidates() if self.candidates is None else self.candidates
        check_candidates(candidates)
        check_out(self.out)
        clash = sorted(set(self.settings or {}) & set(RECORDED))
        if clash:
            raise ValueError(
                f"settings may not use the names {clash}, which the study records itself."
            )
        return {name: seeded(e, self.random_state) for name, e in candidates.items()}

    def _say(self, *lines):
        if self.verbose >= 1:
            for line in lines:
                print(line)
