"""Hostile-input tests (issue 17): what a hostile provider, teammate's file or local process can send."""
