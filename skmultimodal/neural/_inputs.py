"""What a fusion net reads from a lesion frame, and which lesions can give it."""

from .._frame import (
    IMAGE_MODALITIES,
    check_modalities,
    format_rows,
    metadata_columns_of,
    modality_presence,
    require_columns,
)


def model_inputs(X, modalities, dermoscopic_column, clinical_column, metadata_columns):
    """The modalities, image columns and metadata columns a model reads from ``X``.

    Returns
    -------
    modalities : tuple of str
        In canonical order.
    image_columns : dict of str to str
        Column of each image modality used.
    metadata_columns : list
        Metadata columns; empty without the metadata modality.
    """
    modalities = check_modalities(modalities)
    columns = {"dermoscopic": dermoscopic_column, "clinical": clinical_column}
    image_columns = {m: columns[m] for m in IMAGE_MODALITIES if m in modalities}
    if "metadata" not in modalities:
        return modalities, image_columns, []
    paths = list(columns.values())
    metadata = metadata_columns_of(X, metadata_columns, paths)
    clash = [c for c in metadata if c in paths]
    if clash:
        raise ValueError(
            f"metadata_columns include the image path column(s) {clash}; image paths "
            "cannot be metadata."
        )
    if not metadata:
        raise ValueError(
            "The 'metadata' modality is requested but the lesion frame has no "
            "metadata column (every column holds image paths). Add metadata columns "
            "or leave 'metadata' out of `modalities`."
        )
    return modalities, image_columns, list(metadata)


def lesion_presence(X, modalities, image_columns, metadata_columns, optional=None):
    """Which of a model's modalities each lesion has; refuse what it cannot read.

    A lesion with none of the model's modalities cannot be classified. A
    fitted model (``optional`` given: the modalities it learned to do
    without) refuses lesions lacking any other modality, which would get a
    silent guess.

    Returns
    -------
    presence : DataFrame of bool
        One column per modality of the model, indexed like ``X``.
    """
    for modality, column in image_columns.items():
        require_columns(X, [column], f"should hold the {modality} image paths")
    require_columns(X, metadata_columns, "the model was fitted with")
    presence = modality_presence(
        X,
        dermoscopic_column=image_columns.get("dermoscopic"),
        clinical_column=image_columns.get("clinical"),
        metadata_columns=metadata_columns,
    )[list(modalities)]
    bare = ~presence.any(axis=1).to_numpy()
    if bare.any():
        raise ValueError(
            f"{bare.sum()} lesion(s) have none of the model's modalities "
            f"{list(modalities)} (no image path and no metadata): rows "
            f"{format_rows(X.index[bare])}. Give them an image or metadata, or drop "
            "them."
        )
    for modality in modalities if optional is not None else ():
        lacking = ~presence[modality].to_numpy()
        if lacking.any() and modality not in optional:
            what = "metadata" if modality == "metadata" else f"{modality} image"
            raise ValueError(
                f"{lacking.sum()} lesion(s) lack the {what}, rows "
                f"{format_rows(X.index[lacking])}, but this model never learned to "
                "do without it: every training lesion had it, and modality_dropout "
                "was 0. Refit with modality_dropout > 0 (e.g. 0.25), or with "
                "training lesions of which some lack it; or give these lesions the "
                "missing input."
            )
    return presence


def learned_absences(modalities, presence, modality_dropout):
    """The modalities a model learns to do without, from its training lesions.

    Those some training lesions lack (``presence``, see
    :func:`lesion_presence`); every one with ``modality_dropout`` and more
    than one modality.
    """
    if modality_dropout and len(modalities) > 1:
        return modalities
    return tuple(m for m in modalities if not presence[m].all())
