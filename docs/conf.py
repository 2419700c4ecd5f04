"""Sphinx configuration of the skmultimodal documentation.

Build from the repository root with

    pip install -e ".[docs]"
    sphinx-build -W --keep-going -b html docs docs/_build/html

The build must pass with warnings as errors on a machine without internet
access, so the intersphinx inventories are probed first and those that cannot
be reached are left out (their cross-references then render as plain text).
"""

import importlib
import os
import re
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import skmultimodal

DOCS = Path(__file__).resolve().parent

# The gallery's figures are files, never windows.
os.environ.setdefault("MPLBACKEND", "Agg")

# -- Project -----------------------------------------------------------------

project = "skmultimodal"
author = "The skmultimodal developers"
copyright = "2025, The skmultimodal developers"
release = skmultimodal.__version__
version = re.sub(r"(\d+\.\d+)\..*", r"\1", release)

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"

# -- autodoc, autosummary, numpydoc -----------------------------------------

autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"
autodoc_member_order = "groupwise"
# Members are listed by the autosummary templates (one page per public name);
# numpydoc must not add a second, inherited list of methods to each class.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- intersphinx, offline-tolerant ------------------------------------------

INVENTORIES = {
    "python": "https://docs.python.org/3/",
    "sklearn": "https://scikit-learn.org/stable/",
    "skorch": "https://skorch.readthedocs.io/en/stable/",
    "torch": "https://docs.pytorch.org/docs/stable/",
    "torchvision": "https://docs.pytorch.org/vision/stable/",
    "pandas": "https://pandas.pydata.org/docs/",
    "numpy": "https://numpy.org/doc/stable/",
    "matplotlib": "https://matplotlib.org/stable/",
}
# Seconds to wait for each inventory; all are probed at once.
PROBE_TIMEOUT = float(os.environ.get("SKMULTIMODAL_DOCS_PROBE_TIMEOUT", "5"))


def _reachable(url):
    request = urllib.request.Request(
        url + "objects.inv", headers={"User-Agent": "skmultimodal-docs"}
    )
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT) as response:
            return response.status == 200
    except (OSError, ValueError):  # URLError, timeouts, refused connections
        return False


def _intersphinx_mapping():
    if os.environ.get("SKMULTIMODAL_DOCS_OFFLINE"):
        reachable = dict.fromkeys(INVENTORIES, False)
    else:
        with ThreadPoolExecutor(max_workers=len(INVENTORIES)) as pool:
            reachable = dict(zip(INVENTORIES, pool.map(_reachable, INVENTORIES.values())))
    missing = [name for name, ok in reachable.items() if not ok]
    if missing:
        print(
            f"intersphinx: cannot reach {', '.join(missing)}; building without links "
            "to their documentation."
        )
    return {name: (url, None) for name, url in INVENTORIES.items() if reachable[name]}


intersphinx_mapping = _intersphinx_mapping()
intersphinx_timeout = PROBE_TIMEOUT

# -- sphinx-gallery ----------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("skmultimodal",),
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    "min_reported_time": 1,
    "abort_on_example_error": True,
    "show_memory": False,
}

# -- HTML --------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skmultimodal {release}"
html_theme_options = {
    "github_url": "https://github.com/skmultimodal/skmultimodal",
    "navbar_align": "left",
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
html_static_path = []
html_show_sourcelink = False
html_context = {"default_mode": "light"}


# -- Every public name has a page --------------------------------------------

PUBLIC_MODULES = (
    "skmultimodal.neural",
    "skmultimodal.forest",
    "skmultimodal.preprocessing",
    "skmultimodal.datasets",
    "skmultimodal.metrics",
    "skmultimodal.model_selection",
    "skmultimodal.plotting",
)


def _check_api_reference(app):
    """Warn (an error under -W) about a public name missing from api.rst."""
    from sphinx.util import logging

    logger = logging.getLogger("skmultimodal.docs")
    listed = set(
        re.findall(r"^\s{3}(\w+)\s*$", (DOCS / "api.rst").read_text(), re.MULTILINE)
    )
    top_level = {name for name in skmultimodal.__all__ if not name.startswith("_")}
    public = set(top_level)
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        public.update(name for name in module.__all__ if name not in top_level)
    missing = sorted(public - listed)
    if missing:
        logger.warning(
            "api.rst lists no entry for the public name(s) %s; add them to an "
            "autosummary table.",
            ", ".join(missing),
        )


def _skip_metadata_requests(app, what, name, obj, skip, options):
    """Leave out the ``set_*_request`` methods scikit-learn generates.

    They are documented by scikit-learn (metadata routing), and their
    docstrings use scikit-learn's own glossary and labels, which do not
    resolve without its inventory.
    """
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return skip


def setup(app):
    app.connect("builder-inited", _check_api_reference)
    app.connect("autodoc-skip-member", _skip_metadata_requests)

