"""The candidates of the paper's comparison: what each is, and its name in tables."""

from dataclasses import dataclass

from sklearn.base import clone

from .._frame import MODALITIES, check_modalities
from ..forest import MetadataForestClassifier
from ..neural import MultimodalLesionClassifier

#: The paper's abbreviation of each modality, used only in printed tables and
#: figures: dsc (dermoscopic), macro (clinical close-up), meta (metadata).
ABBREVIATIONS = {"dermoscopic": "dsc", "clinical": "macro", "metadata": "meta"}

#: The six modality combinations of the paper's Table 1, in its order.
PAPER_COMBINATIONS = (
    ("clinical",),
    ("clinical", "metadata"),
    ("dermoscopic",),
    ("dermoscopic", "metadata"),
    ("dermoscopic", "clinical"),
    ("dermoscopic", "clinical", "metadata"),
)
#: The paper's six combinations, then metadata alone (which the paper reports
#: with the forest only): the default of :func:`modality_candidates`.
STUDY_COMBINATIONS = PAPER_COMBINATIONS + (("metadata",),)

#: The name of the metadata random forest among the candidates and in tables.
FOREST_NAME = "random forest meta"
#: The ``candidate`` of :func:`modality_robustness`'s model, trained once per
#: fold and scored with every subset of its modalities.
ONE_MODEL = "one model"
#: The ``candidate`` of its nets trained on one subset of modalities each.
DEDICATED = "dedicated"
#: The ``candidate`` of the fold-wise differences of the two in its summary.
DIFFERENCE = "one model - dedicated"
_NO_EMBEDDING = " (no embedding)"


@dataclass(frozen=True)
class Candidate:
    """What a candidate of the modality comparison is.

    The study decides what to run, check and draw from this description,
    never from a candidate's name; the name shown in tables is derived from
    it.

    Parameters
    ----------
    kind : {"net", "forest", "other"}
        A :class:`~skmultimodal.MultimodalLesionClassifier`, a
        :class:`~skmultimodal.MetadataForestClassifier`, or any other
        classifier (which the study runs as it is).
    modalities : tuple of str, default=()
        The modalities it uses, in canonical order; empty for ``"other"``
        (unknown).
    embedding : bool, default=False
        Whether a net has its embedding network.

    Attributes
    ----------
    name : str or None
        The paper's name (``"dsc + meta"``, ``"macro (no embedding)"``,
        ``"random forest meta"``); ``None`` for ``"other"``.

    See Also
    --------
    modality_candidates : the study's estimators, by these names.

    Examples
    --------
    >>> from skmultimodal import MultimodalLesionClassifier
    >>> from skmultimodal.model_selection import Candidate
    >>> candidate = Candidate.from_estimator(MultimodalLesionClassifier(
    ...     modalities=("metadata", "dermoscopic"), embedding_dims=()))
    >>> candidate
    Candidate(kind='net', modalities=('dermoscopic', 'metadata'), embedding=False)
    >>> candidate.name
    'dsc + meta (no embedding)'
    """

    kind: str
    modalities: tuple = ()
    embedding: bool = False

    @classmethod
    def from_estimator(cls, estimator):
        """Describe ``estimator`` from its parameters.

        Parameters
        ----------
        estimator : estimator
            A candidate of the study.

        Returns
        -------
        candidate : Candidate
            Its description.
        """
        if isinstance(estimator, MultimodalLesionClassifier):
            return cls(
                "net",
                check_modalities(estimator.modalities),
                bool(estimator.embedding_dims),
            )
        if isinstance(estimator, MetadataForestClassifier):
            return cls("forest", ("metadata",))
        return cls("other")

    @property
    def name(self):
        if self.kind == "net":
            return candidate_name(self.modalities, self.embedding)
        if self.kind == "forest":
            return FOREST_NAME
        return None


def candidate_name(modalities, embedding=True):
    """The paper's name of a fusion net, e.g. ``"dsc + macro + meta"``.

    Parameters
    ----------
    modalities : sequence of str
        The net's modalities, in any order.
    embedding : bool, default=True
        Whether the net has its embedding network.

    Returns
    -------
    name : str
        The abbreviations joined in the paper's order, followed by
        ``" (no embedding)"`` for a net without embedding network.

    Examples
    --------
    >>> from skmultimodal.model_selection import candidate_name
    >>> candidate_name(["metadata", "dermoscopic"])
    'dsc + meta'
    >>> candidate_name(["clinical"], embedding=False)
    'macro (no embedding)'
    """
    unknown = set(modalities) - set(MODALITIES)
    if unknown:
        raise ValueError(
            f"Unknown modalities {sorted(unknown)}; use {list(MODALITIES)}."
        )
    name = " + ".join(ABBREVIATIONS[m] for m in MODALITIES if m in modalities)
    return name if embedding else name + _NO_EMBEDDING


def modality_candidates(
    estimator=None,
    forest=None,
    *,
    combinations=STUDY_COMBINATIONS,
    embedding=(True, False),
):
    """The estimators of the paper's modality comparison, by name.

    Every fusion net is a clone of ``estimator`` with ``modalities`` set to
    one combination and, for the variants without embedding network,
    ``embedding_dims=()``; the forest is evaluated on metadata alone.

    Parameters
    ----------
    estimator : MultimodalLesionClassifier or None, default=None
        The settings every net shares (backbone, image size, epochs, ...);
        ``None`` means the paper's defaults.
    forest : MetadataForestClassifier, "skip" or None, default=None
        The metadata baseline; ``None`` means the defaults, ``"skip"`` leaves
        it out.
    combinations : sequence of tuple of str, default=STUDY_COMBINATIONS
        Modality combinations: the paper's six, then metadata alone.
    embedding : tuple of bool, default=(True, False)
        Which variants to include: with the embedding network of
        ``estimator`` (True) and without any (False).

    Returns
    -------
    candidates : dict of str to estimator
        Candidates in the order of the paper's table: every combination with
        embedding network, then every combination without, then the forest.

    Examples
    --------
    >>> from skmultimodal.model_selection import modality_candidates
    >>> list(modality_candidates(embedding=(True,)))
    ['macro', 'macro + meta', 'dsc', 'dsc + meta', 'dsc + macro', 'dsc + macro + meta', 'meta', 'random forest meta']
    """
    estimator = MultimodalLesionClassifier() if estimator is None else estimator
    if not isinstance(estimator, MultimodalLesionClassifier):
        raise TypeError(
            "estimator must be a MultimodalLesionClassifier holding the shared "
            f"settings, got {type(estimator).__name__}."
        )
    if not estimator.embedding_dims and False in embedding and True in embedding:
        raise ValueError(
            "estimator has embedding_dims=(), so the variants with and without "
            "embedding network would be the same; give it the embedding network "
            "to compare, e.g. embedding_dims=(1024, 1024)."
        )
    candidates = {}
    for with_embedding in embedding:
        for modalities in combinations:
            net = clone(estimator).set_params(modalities=tuple(modalities))
            if not with_embedding:
                net.set_params(embedding_dims=())
            candidates[Candidate.from_estimator(net).name] = net
    if not (isinstance(forest, str) and forest == "skip"):
        candidates[FOREST_NAME] = clone(
            MetadataForestClassifier() if forest is None else forest
        )
    return candidates


def table_order(names):
    """Sort candidate names in the paper's order (unknown names last)."""
    known = [
        candidate_name(modalities, with_embedding)
        for with_embedding in (True, False)
        for modalities in STUDY_COMBINATIONS
    ] + [FOREST_NAME]
    position = {name: i for i, name in enumerate(known)}
    return sorted(names, key=lambda name: (position.get(name, len(known)), name))
