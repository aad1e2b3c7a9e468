"""Import operations: `workbench import` and the Import dialog, over `importers.apply`.

A front end reads the file into a plan (`importers.read_plan`), shows `preview_import`, then
runs `import_collection`; both check trust and names the same way, so what the preview said
is what the import does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.core.importers.apply import apply_plan, preview

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.importers.apply import ImportOutcome
    from workbench.core.importers.model import ImportPlan


def preview_import(ctx: AppContext, plan: ImportPlan, *, trust: bool = False) -> ImportOutcome:
    """What `import_collection` would create, name, leave pending and allow; writes nothing."""

    return preview(plan, ctx, trust=trust)


def import_collection(ctx: AppContext, plan: ImportPlan, *, trust: bool = False) -> ImportOutcome:
    """Create the plan's profiles (secrets to the vault) and saved requests; the outcome says
    what was created, what is pending and which origins were withheld without `trust`."""

    return apply_plan(plan, ctx, trust=trust)
