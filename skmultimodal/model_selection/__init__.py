"""The paper's study: modality comparison, its table, the embedding search.

Beyond the paper: robustness to missing modalities and tower pretraining.
"""

from ._candidates import (
    ABBREVIATIONS,
    FOREST_NAME,
    PAPER_COMBINATIONS,
    STUDY_COMBINATIONS,
    Candidate,
    candidate_name,
    modality_candidates,
)
from ._compare import compare_modalities
from ._embedding import embedding_grid, search_embedding_dims
from ._pretrain import pretrain_tower
from ._robustness import modality_robustness
from ._splits import study_splits
from ._study import ModalityStudy
from ._summary import format_summary, summarize
from ._support import UnsupportedCandidateWarning

__all__ = [
    "ABBREVIATIONS",
    "FOREST_NAME",
    "PAPER_COMBINATIONS",
    "STUDY_COMBINATIONS",
    "Candidate",
    "ModalityStudy",
    "UnsupportedCandidateWarning",
    "candidate_name",
    "compare_modalities",
    "embedding_grid",
    "format_summary",
    "modality_candidates",
    "modality_robustness",
    "pretrain_tower",
    "search_embedding_dims",
    "study_splits",
    "summarize",
]
