"""Load a public data set named on the command line as ``name:path``."""

from ._derm7pt import load_derm7pt
from ._ham10000 import load_ham10000
from ._isic import load_isic2019, load_isic2020
from ._milk10k import load_milk10k
from ._pad_ufes20 import load_pad_ufes20

LOADERS = {
    "milk10k": load_milk10k,
    "derm7pt": load_derm7pt,
    "pad_ufes20": load_pad_ufes20,
    "ham10000": load_ham10000,
    "isic2019": load_isic2019,
    "isic2020": load_isic2020,
}


def _plain_name(name):
    """``"PAD-UFES-20"``, ``"pad_ufes_20"`` and ``"pad_ufes20"`` alike."""
    return "".join(c for c in name.lower() if c.isalnum())


_BY_PLAIN_NAME = {_plain_name(name): loader for name, loader in LOADERS.items()}


def load_dataset(spec, **kwargs):
    """Load a public data set named as ``"name:path"``.

    The command line's ``--dataset`` option takes this form, e.g.
    ``skmultimodal compare --dataset milk10k:/data/MILK10k``.

    Parameters
    ----------
    spec : str
        The data set's name, a colon, and the folder it was unpacked into:
        ``"milk10k:PATH"``, ``"derm7pt:PATH"``, ``"pad_ufes20:PATH"``,
        ``"ham10000:PATH"``, ``"isic2019:PATH"`` or ``"isic2020:PATH"``. The
        name ignores case, hyphens and underscores (``"PAD-UFES-20"`` works);
        the path may contain colons itself (``"ham10000:C:\\data\\ham"``).
    **kwargs
        Passed on to the loader, e.g. ``other="keep"``,
        ``missing_images="drop"`` or ``return_X_y=True``.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        What the loader returns.
    (data, target) : tuple of DataFrame and Series
        If ``return_X_y=True`` is passed on.

    Raises
    ------
    ValueError
        If ``spec`` has no colon, no path, or an unknown name (the message
        lists the known names).

    See Also
    --------
    load_milk10k : MILK10k, a clinical and a dermoscopic image per lesion.
    load_derm7pt : Derm7pt, the seven-point checklist set, with its split.
    load_pad_ufes20 : PAD-UFES-20, smartphone clinical images.
    load_ham10000 : HAM10000, dermoscopic images.
    load_isic2019 : ISIC 2019, dermoscopic images.
    load_isic2020 : ISIC 2020, dermoscopic images grouped by patient.

    Examples
    --------
    >>> from skmultimodal.datasets import load_dataset
    >>> X, y = load_dataset("ham10000:~/data/ham", return_X_y=True)  # doctest: +SKIP
    >>> load_dataset("ph2:/data/ph2")
    Traceback (most recent call last):
    ...
    ValueError: Unknown data set 'ph2' in 'ph2:/data/ph2'; known data sets: milk10k, ...
    """
    known = ", ".join(LOADERS)
    name, colon, path = str(spec).partition(":")
    if not colon or not name or not path:
        raise ValueError(
            f"Expected a data set as 'name:path', e.g. 'milk10k:/data/MILK10k', got "
            f"{spec!r}. Known data sets: {known}."
        )
    loader = _BY_PLAIN_NAME.get(_plain_name(name))
    if loader is None:
        raise ValueError(
            f"Unknown data set {name!r} in {spec!r}; known data sets: {known}."
        )
    return loader(path, **kwargs)
