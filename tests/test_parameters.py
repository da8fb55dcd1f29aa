"""Exact parsing of --set values and the one-line errors for bad ones."""
import pytest
import sympy as sp

from engine.errors import UsageError
from engine.model.problem import Parameter, parse_number


@pytest.mark.parametrize(
    "text, expected",
    [("0.8", sp.Rational(4, 5)), ("-3", sp.Integer(-3)), ("1e-8", sp.Rational(1, 10**8)),
     ("2/3", sp.Rational(2, 3)), (" 7 ", sp.Integer(7)), ("1.5e2", sp.Integer(150))],
)
def test_parse_number_is_exact(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["abc", "", "1/0", "nan", "inf", "3x", "__import__('os')"])
def test_parse_number_rejects_non_numbers_in_one_line(text):
    with pytest.raises(UsageError) as err:
        parse_number(text, "beta_1")
    message = str(err.value)
    assert message.startswith(f"beta_1={text!r} is not a")
    assert "\n" not in message


def test_list_parameters_parse_json_exactly():
    p = Parameter("X", [[1, 2], [3, 4]], kind="matrix")
    assert p.parse("[[0.5, 2], [3, -1]]") == [[sp.Rational(1, 2), 2], [3, -1]]
    with pytest.raises(UsageError, match=r"^X='\[1,' is not a list; write it as JSON, e.g. \[\[1, 2\], \[3, 4\]\]$"):
        p.parse("[1,")
