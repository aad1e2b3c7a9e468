"""SecretService backend (Linux): secretstorage talks D-Bus through jeepney's blocking I/O."""

hiddenimports = [
    "jeepney",
    "jeepney.io.blocking",
    "jeepney.bus_messages",
    "cryptography.hazmat.primitives.ciphers",
]
