"""Every private scikit-learn name the package uses, imported in one place.

scikit-learn may change its private API in any release. Importing it here
only makes this module the single place to adjust, and the oldest supported
release (``scikit-learn>=1.6`` in pyproject.toml) the one to check against:
everything below exists, with the same behaviour, from 1.6 to at least 1.9.
Other modules import these names from ``skmultimodal._compat``, never from
``sklearn``'s private modules.
"""

from abc import abstractmethod

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
    "_BaseScorer",
    "_fit_context",
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
