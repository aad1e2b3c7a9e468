"""JOSE: keys, signatures and looking inside tokens.

Owns: signing keys (`keys`: generate, load, export PEM/JWK, RFC 7638 thumbprints, JWS
signatures), a JWT's header and claims read once without trusting them (`claims`) and the
inspector (`inspect`: decode, verify with a secret, PEM, JWK or JWKS, decrypt a JWE, security
warnings); the forge (`forge`: build and sign a JWT with PyJWT's algorithm objects), JWE
(`jwe`: encrypt and decrypt through joserfc) and `probes` (the variants an API must refuse).

May import: `core` top-level modules, `net` (JWKS fetch). Never Qt.
"""
