"""OAuth 2.0 and OpenID Connect for native apps.

Owns: the protocol pieces as pure functions (`protocol`: PKCE, authorization URLs, token
answers, id_token checks, client authentication), discovery of an issuer's endpoints
(`discovery`), the loopback redirect listener (`loopback`) and the interactive operations the
CLI and GUI call (`login`: log in, sign out, discover).

May import: `core` top-level modules, `storage`, `profiles`, `net`, `jose`. `login` may use the
engine to store what it obtains. Never Qt.
"""
