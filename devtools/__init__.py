"""Development tooling of ledgerguard, kept out of the wheel: revisions from sql/, trees at other commits."""
