"""Issue 20 in the window: the import dialog's preview is the dry run's plan, a pending profile shows as
pending in the sidebar (with what it needs), and its editor opens on the missing field."""

from __future__ import annotations

from pathlib import Path

from tests.gui.conftest import wait_idle
from workbench.core.importers import read_plan
from workbench.core.importers.apply import describe, preview

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


def test_the_preview_is_the_dry_run_then_pending_profiles_say_what_they_need(qtbot, make_window, ctx):
    source = str(FIX / "openapi" / "clinic.yaml")
    window = make_window()
    window.import_action.trigger()
    dialog = window.import_dialog
    dialog.source.setText(source)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=10_000)
    plan = read_plan(source, presets=ctx.presets)
    dry_run = describe(plan, preview(plan, ctx), dry_run=True)  # what `workbench import --dry-run` prints

    def same(lines: list[str]) -> list[str]:  # only how to allow a withheld origin is worded apart
        return [line.split(" (its saved requests there are refused")[0] for line in lines]

    assert same(dialog.preview.toPlainText().splitlines()) == same(dry_run)
    with qtbot.waitSignal(dialog.imported, timeout=10_000):
        dialog.import_button.click()
    wait_idle(qtbot, window)
    item = next(i for i in window.sidebar_items() if i.data(0, 0x0100) == "clinic-api-bearerauth")
    assert item.text(1) == "needs input"
    assert "pending: needs --secret access_token" in item.toolTip(0)
    window.select_profile("clinic-api-oauth")
    editor = window.edit_profile()
    assert editor is not None
    message = editor.banner.label.text()
    assert "pending" in message and "Client id" in message
    qtbot.waitUntil(
        lambda: editor.var_fields["client_id"].hasFocus() or editor.isActiveWindow(), timeout=5000
    )
    editor.close()
