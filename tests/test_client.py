"""ledgerguard.client calls the SQL API in named notation: an argument cannot land in another parameter."""

from __future__ import annotations

import pytest

from ledgerguard.client import _arguments


def test_arguments_are_positional_first_then_named():
    assert _arguments((1,), {"p_reason": "r", "p_ticket": "T"}) == ("%s, p_reason => %s, p_ticket => %s", (1, "r", "T"))


@pytest.mark.parametrize("name", ["reason", "p_x); DROP TABLE ledger.entries; --", "P_UPPER"])
def test_a_name_that_is_no_parameter_of_ours_is_refused(name):
    with pytest.raises(ValueError, match="is not a parameter name"):
        _arguments((), {name: 1})


def test_a_wrong_parameter_name_is_refused_by_the_server_not_bound_elsewhere(app):
    with pytest.raises(Exception, match="does not exist"):
        app.call("ledger.create_wallet", p_code="w", p_kind="USER", p_curency="USD")
