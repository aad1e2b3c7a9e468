"""The network edge: where a profile's credentials may go and how bytes come back.

Owns: the one HTTP client every provider call goes through (`client`: deadlines, byte
budgets, no redirects, transport errors), the origin rule (`origins`: own origin, issuer
endpoints, `allowed_origins`, loopback) and which certificate authorities TLS trusts (`trust`).

May import: `core` top-level modules only (errors, redact, clock). Never Qt.
"""
