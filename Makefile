# The two commands of the README, and the pieces behind them.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: deps demo test docs clean

deps:            ## install what is missing (Debian packages, .venv)
	@scripts/bootstrap

demo: deps       ## embedded PostgreSQL, migrate, run the incident scenarios, print the checks
	$(BIN)/ledgerguard demo

test: deps       ## the whole suite: pgTAP files (pg_prove) and pytest, on an embedded cluster
	$(BIN)/pytest

docs: deps       ## regenerate what is generated from code: the error registry doc, the shipped catalog fingerprints
	$(BIN)/python -m ledgerguard.errors > docs/errors.md
	$(BIN)/python -m ledgerguard.doctor > src/ledgerguard/catalog.json

clean:
	rm -rf .ledgerguard $(VENV)
