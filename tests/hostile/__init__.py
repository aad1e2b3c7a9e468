"""Hostile-input tests (issue 17): attacks as a hostile provider, teammate\x27s file or local process would make."""
