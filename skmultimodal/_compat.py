"""Every private scikit-learn name the package uses, imported in one place.

scikit-learn may change its private API in any release. Importing it here
only makes this module the single place to adjust, and the oldest supported
release (``scikit-learn>=1.6`` in pyproject.toml) the one to check against:
everything below exists, with the same behaviour, from 1.6 to at least 1.9.
Other modules import these names from ``skmultimodal._compat``, never from
``sklearn``'s private modules.
"""

from abc import abstractmethod

import numpy as np

# Runs `_validate_params` once per fit and skips nested validation in
# meta-estimators; the decorator sklearn's own estimators use (since 1.3).
from sklearn.base import _fit_context

# Only subclasses of sklearn's scorer base class share one predict_proba call
# between the scorers of a multi-metric evaluation (`_MultimetricScorer` caches
# by `_response_method`); with plain callables an image net would run
# inference once per metric. `__init__(score_func, sign, kwargs,
# response_method)` and the `_score(method_caller, estimator, X, y_true,
# **kwargs)` hook are unchanged since 1.4.
from sklearn.metrics._scorer import _BaseScorer

# A fitted tree's nodes and values, for saving forests without pickle
# (skmultimodal.save_model). `Tree(n_features, n_classes, n_outputs)` with
# `__getstate__`/`__setstate__` exchanging {"max_depth", "node_count", "nodes",
# "values"} is exactly what pickle stores; `NODE_DTYPE` is the nodes'
# structured dtype, `TREE_LEAF` (-1) the child index of a leaf and
# `TREE_UNDEFINED` (-2) its feature. All unchanged from 1.3 (when the node
# field `missing_go_to_left` came) to at least 1.9.
from sklearn.tree._tree import NODE_DTYPE, TREE_LEAF, TREE_UNDEFINED, Tree

# Declarative parameter validation (`_parameter_constraints` tables checked
# by `BaseEstimator._validate_params`), as in sklearn's own estimators; the
# module exists since 1.2, `RealNotInt` since 1.3. `validate_parameter_constraints`
# builds the messages ("The 'x' parameter of Y must be ... Got ... instead.")
# that `check_param_validation` of the common checks expects.
from sklearn.utils._param_validation import (
    HasMethods,
    Hidden,
    Interval,
    InvalidParameterError,
    Options,
    RealNotInt,
    StrOptions,
    validate_parameter_constraints,
)

__all__ = [
    "Constraint",
    "HasMethods",
    "Hidden",
    "Interval",
    "InvalidParameterError",
    "Options",
    "RealNotInt",
    "StrOptions",
    "Tree",
    "_BaseScorer",
    "_fit_context",
    "tree_from_state",
    "tree_state",
    "validate_parameter_constraints",
]


class Constraint(Options):
    """Base class for a constraint of our own in a ``_parameter_constraints`` table.

    A subclass says which values it accepts in ``is_satisfied_by`` and
    describes them in ``__str__``, a phrase that completes "The 'x' parameter
    of Y must be ...". It may then stand in a constraint list beside
    scikit-learn's, also wrapped in ``Hidden``.

    scikit-learn's ``make_constraint`` (1.6 to 1.9) accepts only instances of
    its own constraint classes, not every subclass of its private
    ``_Constraint``; deriving from ``Options`` is what lets a table hold ours.
    ``Options``' own fields are unused (an empty set of options of any type),
    and the common check ``check_param_validation`` skips constraints it
    cannot generate an invalid value for, as it does for ``Options``.

    Examples
    --------
    >>> from skmultimodal._compat import (
    ...     Constraint, InvalidParameterError, validate_parameter_constraints)
    >>> class Odd(Constraint):
    ...     def is_satisfied_by(self, val):
    ...         return isinstance(val, int) and val % 2 == 1
    ...     def __str__(self):
    ...         return "an odd int"
    >>> constraints = {"n": [Odd(), None]}
    >>> try:
    ...     validate_parameter_constraints(constraints, {"n": 4}, caller_name="f")
    ... except InvalidParameterError as error:
    ...     print(error)
    The 'n' parameter of f must be an odd int or None. Got 4 instead.
    """

    def __init__(self):
        super().__init__(object, set())

    @abstractmethod
    def is_satisfied_by(self, val):
        """Whether ``val`` is a valid value of the parameter."""

    @abstractmethod
    def __str__(self):
        """What the valid values are, as a phrase: "an odd int"."""


def tree_state(tree):
    """A fitted scikit-learn ``Tree`` as plain numbers and arrays.

    What pickle stores of a tree, with the structured node array split into
    one array per field, so that formats without structured dtypes
    (safetensors) hold it.

    Parameters
    ----------
    tree : sklearn.tree._tree.Tree
        The ``tree_`` of a fitted decision tree.

    Returns
    -------
    state : dict
        ``n_features``, ``n_outputs``, ``max_depth``, ``node_count`` (int),
        ``n_classes`` (int64 array), ``nodes`` (dict of field name to 1-d
        array) and ``values`` (float64 array of shape ``(node_count,
        n_outputs, max_n_classes)``).

    See Also
    --------
    tree_from_state : the tree back from this state.
    """
    n_features, n_classes, n_outputs = tree.__reduce__()[1]
    pickled = tree.__getstate__()
    nodes = pickled["nodes"]
    return {
        "n_features": int(n_features),
        "n_outputs": int(n_outputs),
        "n_classes": np.asarray(n_classes, dtype=np.int64),
        "max_depth": int(pickled["max_depth"]),
        "node_count": int(pickled["node_count"]),
        "nodes": {name: np.ascontiguousarray(nodes[name]) for name in nodes.dtype.names},
        "values": np.ascontiguousarray(pickled["values"]),
    }


def tree_from_state(state):
    """The ``Tree`` of :func:`tree_state`, its structure checked first.

    Prediction walks the nodes in compiled code without bounds checks, so
    nodes that point outside the tree, or back to an earlier node, would
    read memory outside it or loop forever. Trees grown by scikit-learn
    number every child after its parent; anything else is refused.

    Parameters
    ----------
    state : dict
        As returned by :func:`tree_state`, possibly read back from a file.

    Returns
    -------
    tree : sklearn.tree._tree.Tree

    Raises
    ------
    ValueError
        If the node fields are not those of this scikit-learn's trees, or
        the nodes do not form a tree.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skmultimodal._compat import tree_from_state, tree_state
    >>> fitted = DecisionTreeClassifier(random_state=0).fit([[0], [1], [2]], [0, 1, 1])
    >>> copy = tree_from_state(tree_state(fitted.tree_))
    >>> (copy.threshold == fitted.tree_.threshold).all(), copy.node_count
    (np.True_, 3)
    """
    node_count = int(state["node_count"])
    fields = state["nodes"]
    if sorted(fields) != sorted(NODE_DTYPE.names):
        raise ValueError(
            f"The tree's nodes have the fields {sorted(fields)}, but this "
            f"scikit-learn's trees have {sorted(NODE_DTYPE.names)}: the forest was "
            "saved with another scikit-learn version. Load it with that version, "
            "or refit it."
        )
    nodes = np.zeros(node_count, dtype=NODE_DTYPE)
    for name in NODE_DTYPE.names:
        values = np.asarray(fields[name])
        if values.shape != (node_count,):
            raise ValueError(
                f"The tree's node field {name!r} has shape {values.shape}, not "
                f"({node_count},)."
            )
        nodes[name] = values
    _check_tree_structure(nodes, int(state["n_features"]))
    tree = Tree(
        int(state["n_features"]),
        np.asarray(state["n_classes"], dtype=np.intp),
        int(state["n_outputs"]),
    )
    tree.__setstate__(
        {
            "max_depth": int(state["max_depth"]),
            "node_count": node_count,
            "nodes": nodes,
            "values": np.ascontiguousarray(state["values"], dtype=np.float64),
        }
    )
    return tree


def _check_tree_structure(nodes, n_features):
    own = np.arange(len(nodes))
    left, right, feature = nodes["left_child"], nodes["right_child"], nodes["feature"]
    leaf = left == TREE_LEAF
    split = ~leaf
    well_formed = (
        len(nodes) > 0
        and np.all(right[leaf] == TREE_LEAF)
        and np.all(feature[leaf] == TREE_UNDEFINED)
        and np.all((left[split] > own[split]) & (left[split] < len(nodes)))
        and np.all((right[split] > own[split]) & (right[split] < len(nodes)))
        and np.all((feature[split] >= 0) & (feature[split] < n_features))
    )
    if not well_formed:
        raise ValueError(
            "The tree's nodes do not form a tree grown by scikit-learn (a child "
            "index outside the tree or before its parent, or a feature index "
            f"outside [0, {n_features})): the file is damaged or was not written "
            "by skmultimodal.save_model."
        )
