"""`workbench probe NAME --request SAVED [--json]` (placeholder while the probes are built)."""
