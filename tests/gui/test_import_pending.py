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
    item = next(i for i in window.sidebar_view.items() if i.data(0, 0x0100) == "clinic-api-bearerauth")
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


def test_saved_requests_are_grouped_by_folder_and_sent_in_the_chosen_environment(
    qtbot, make_window, add_profile
):
    from workbench.core.request.saved import SavedRequest, SavedRequestFile, SavedRequestStore

    name = add_profile("paymentsgate", "demo")
    SavedRequestStore().write(
        SavedRequestFile(
            name,
            {},
            {
                "ping": SavedRequest("ping", "GET", "{{ host }}/ping", title="Ping it", folder="Health"),
                "me": SavedRequest("me", "GET", "/me"),
            },
            {"Local": {"host": "http://127.0.0.1:9"}, "Prod": {"host": "https://prod.test"}},
        )
    )
    window = make_window()
    window.select_profile(name)
    panel = window.saved_requests_panel
    qtbot.waitUntil(lambda: panel.list.count() == 3, timeout=10_000)
    labels = [panel.list.item(i).text() for i in range(panel.list.count())]
    assert labels[0].startswith("GET") and "me" in labels[0]
    assert labels[1] == "▸ Health" and "Ping it" in labels[2]
    assert panel.env_combo.isVisible() or not panel.isVisible()
    assert [panel.env_combo.itemText(i) for i in range(panel.env_combo.count())] == ["Local", "Prod"]
    panel.env_combo.setCurrentText("Prod")
    assert panel.env() == "Prod"


def test_a_har_files_static_assets_are_kept_only_when_the_box_is_ticked(qtbot, make_window, ctx, tmp_path):
    import json

    def entry(url, mime):
        return {
            "request": {"method": "GET", "url": url, "headers": []},
            "response": {"content": {"mimeType": mime}},
        }

    har = tmp_path / "page.har"
    har.write_text(json.dumps({"log": {"entries": [
        entry("https://app.shop.test/api/items", "application/json"),
        entry("https://app.shop.test/logo.png", "image/png"),
    ]}}))  # fmt: skip
    window = make_window()
    window.import_action.trigger()
    dialog = window.import_dialog
    dialog.source.setText(str(har))
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=10_000)
    assert not dialog.assets_box.isHidden() and "1 static assets" in dialog.preview.toPlainText()
    assert "request get-logo.png" not in dialog.preview.toPlainText()
    dialog.assets_box.setChecked(True)
    qtbot.waitUntil(lambda: "request get-logo.png" in dialog.preview.toPlainText(), timeout=10_000)
    with qtbot.waitSignal(dialog.imported, timeout=10_000):
        dialog.import_button.click()
    from workbench.core.request.saved import SavedRequestStore

    assert len(SavedRequestStore().list("app.shop.test")) == 2
