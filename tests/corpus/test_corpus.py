"""Every request in every corpus file is kept as a saved request or listed with its reason.

The corpus (real public files, see SOURCES.md) lives outside the repository; these tests skip
when it is not found (`WORKBENCH_CORPUS`, tests/fixtures/corpus, or shared/corpus beside the
checkout). Counting is done from the raw format by `measure.raw_count`, not by the importer.
"""

from __future__ import annotations

import pytest

from tests.corpus import measure

BASE = measure.corpus_dir()
ENTRIES = measure.corpus_files(BASE) if BASE is not None else []


@pytest.mark.skipif(BASE is None, reason="fidelity corpus not present (set WORKBENCH_CORPUS)")
@pytest.mark.parametrize(("fmt", "path"), ENTRIES, ids=[f"{f}/{p.name}" for f, p in ENTRIES])
def test_every_request_kept_or_listed(fmt, path):
    in_file = measure.raw_count(fmt, path)
    kept, listed, error, _plan = measure.import_figures(fmt, path)
    if path.name in measure.REFUSED:
        assert measure.REFUSED[path.name] in error
        assert "\n" not in error
        return
    assert not error, error
    assert kept + listed >= in_file, f"{in_file} requests in the file, {kept} kept, {listed} listed"
