"""Token Workbench: mint, refresh, inspect and use JWTs for many API providers."""

__version__ = "0.1.0"
APP_NAME = "Token Workbench"
