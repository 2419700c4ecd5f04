"""The compat module: every private scikit-learn name in one place, working."""

import re
from numbers import Integral

import pytest
from sklearn.base import BaseEstimator

from skmultimodal import _compat


def test_every_name_is_importable():
    for name in _compat.__all__:
        assert getattr(_compat, name) is not None, name


class Odd(_compat.Constraint):
    def is_satisfied_by(self, val):
        return isinstance(val, Integral) and val % 2 == 1

    def __str__(self):
        return "an odd int"


def test_custom_constraint_gives_sklearns_error():
    constraints = {"n": [Odd(), _compat.StrOptions({"auto"})]}
    _compat.validate_parameter_constraints(constraints, {"n": 3}, caller_name="f")
    _compat.validate_parameter_constraints(constraints, {"n": "auto"}, caller_name="f")
    expected = "The 'n' parameter of f must be an odd int or a str among {'auto'}. Got 4 instead."
    with pytest.raises(_compat.InvalidParameterError, match=re.escape(expected)):
        _compat.validate_parameter_constraints(constraints, {"n": 4}, caller_name="f")
    # sklearn's errors stay ValueErrors (and TypeErrors) for callers.
    assert issubclass(_compat.InvalidParameterError, ValueError)


def test_hidden_custom_constraint_is_left_out_of_the_message():
    constraints = {"n": [_compat.Interval(Integral, 1, None, closed="left"),
                         _compat.Hidden(Odd())]}
    _compat.validate_parameter_constraints(constraints, {"n": -3}, caller_name="f")
    with pytest.raises(_compat.InvalidParameterError,
                       match=r"must be an int in the range \[1, inf\)\. Got -2"):
        _compat.validate_parameter_constraints(constraints, {"n": -2}, caller_name="f")


def test_a_constraint_must_say_what_it_accepts():
    class Incomplete(_compat.Constraint):
        def __str__(self):
            return "anything"

    with pytest.raises(TypeError, match="is_satisfied_by"):
        Incomplete()


class Estimator(BaseEstimator):
    _parameter_constraints = {"n": [Odd()]}

    def __init__(self, n=1):
        self.n = n

    @_compat._fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        self.fitted_ = True
        return self


def test_fit_context_validates_a_table_holding_a_custom_constraint():
    assert Estimator(n=5).fit().fitted_
    with pytest.raises(_compat.InvalidParameterError,
                       match="The 'n' parameter of Estimator must be an odd int"):
        Estimator(n=2).fit()
