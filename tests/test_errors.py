"""The SQLSTATE registry: one documented place, used by sql/ and the client."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ledgerguard import errors, resources
from ledgerguard.client import Ledger

ROOT = Path(__file__).resolve().parents[1]


def _codes_raised_in_sql() -> set[str]:
    text = "\n".join(p.read_text() for p in resources.sql_dir().rglob("*.sql"))
    return set(re.findall(r"ERRCODE = '(LG\d{3})'", text))


def test_every_code_raised_in_sql_is_registered_and_every_registered_code_is_raised():
    registered = {code.sqlstate for code in errors.REGISTRY}
    assert _codes_raised_in_sql() - registered == set(), "raise only registered codes"
    assert registered - _codes_raised_in_sql() == set(), "drop registry entries nothing raises"


def test_no_sql_raises_without_an_errcode_detail_and_hint():
    for path in resources.sql_dir().rglob("*.sql"):
        for block in re.findall(r"RAISE EXCEPTION(.*?);[ \t]*\n", path.read_text(), re.S):
            assert "ERRCODE" in block and "DETAIL" in block and "HINT" in block, f"{path.name}: {block[:80]}"


def test_docs_errors_md_is_generated_from_the_registry():
    assert (ROOT / "docs" / "errors.md").read_text() == errors.markdown(), "run `make docs`"


def test_the_client_raises_the_registered_exception_with_detail_and_hint(app):
    with pytest.raises(errors.UnknownWallet) as caught:
        app.wallet_balance("nobody")
    assert caught.value.sqlstate == "LG006"
    assert "nobody" in caught.value.message and caught.value.detail and caught.value.hint
    assert isinstance(caught.value, errors.LedgerError)


def test_the_client_reports_the_commit_time_zero_sum_check(connect):
    """On a non-autocommit connection the deferred trigger speaks at COMMIT."""
    owner = Ledger(connect(None, autocommit=False))
    owner.conn.execute("SET ROLE ledger_owner")
    owner.conn.execute("INSERT INTO ledger.transactions (kind) VALUES ('TRANSFER')")
    owner.conn.execute(
        "INSERT INTO ledger.entries (transaction_id, wallet_id, amount) "
        "SELECT currval('ledger.transactions_id_seq'), id, 1 FROM ledger.wallets WHERE code = 'SUSPENSE'")
    with pytest.raises(errors.UnbalancedTransaction):
        owner.commit()
