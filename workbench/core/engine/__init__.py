"""The token engine: one object shared by every thread that hands out valid access tokens.

Owns: obtaining (mint / refresh / response-header adoption), renewing ahead of expiry, single
flight per profile within a process and the file lock across processes, the non-secret state
file per profile, authenticated calls with "renew once on 401", and verifying a profile's token.
What a front end knows of each profile's tokens, and when it renews them, is `schedule`.
A preset's `[mint]`/`[refresh]`/`[verify]` tables become requests in `flows`.

May import: `core` top-level modules, `storage`, `profiles`, `request` (templating), `net`,
`jose`, `oauth`. Never Qt, never `operations` or `importers` (they sit above it).
"""
