"""The ledger's domain rules: every change to customers, orders and the catalogue."""
