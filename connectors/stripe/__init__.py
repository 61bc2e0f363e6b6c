"""The Stripe billing connector: issues the invoices the ledger decided, reverses them."""
