"""The paper's study: modality comparison, its table, the embedding search."""

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
    "search_embedding_dims",
    "study_splits",
    "summarize",
]
