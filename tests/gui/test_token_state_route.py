"""Token state reaches the window by one route (engine events); the GUI thread never reads the
keychain or a profile file."""

from __future__ import annotations

import threading

import pytest

from tests.gui.conftest import obtain, table_rows, wait_idle
from workbench.core.profiles.store import ProfileStore
from workbench.core.storage.vault import MemoryKeyring, Vault


class Touches:
    """Which threads touched the vault or the profile store, and through what."""

    def __init__(self) -> None:
        self.on = False
        self.on_gui_thread: list[str] = []
        self.lock = threading.Lock()

    def record(self, what: str) -> None:
        if self.on and threading.current_thread() is threading.main_thread():
            with self.lock:
                self.on_gui_thread.append(what)


def recording(cls, touches: Touches, names: tuple[str, ...]):
    """A subclass of `cls` whose `names` note the calling thread first."""

    def wrap(name):
        original = getattr(cls, name)
        if isinstance(original, property):

            def getter(self):
                touches.record(f"{cls.__name__}.{name}")
                return original.fget(self)

            return property(getter)

        def method(self, *args, **kwargs):
            touches.record(f"{cls.__name__}.{name}")
            return original(self, *args, **kwargs)

        return method

    return type(f"Recording{cls.__name__}", (cls,), {n: wrap(n) for n in names})


VAULT_CALLS = ("store", "load", "has", "delete", "delete_profile", "persistent", "backend_name")
STORE_CALLS = ("get", "list", "names", "problems", "exists", "save", "remove", "parse_file", "create")


@pytest.fixture
def touches():
    return Touches()


@pytest.fixture
def ctx(clock, touches, workbench_home):
    from workbench.core.context import AppContext
    from workbench.core.profiles.catalog import PresetCatalog

    vault = recording(Vault, touches, VAULT_CALLS)(MemoryKeyring())
    context = AppContext(clock=clock, vault=vault)
    store_cls = recording(ProfileStore, touches, STORE_CALLS)
    context.__dict__["profiles"] = store_cls(presets=PresetCatalog.load_default())
    yield context
    context.close()


def test_the_gui_thread_never_reads_the_keychain_or_a_profile_file(
    qtbot, make_window, add_profile, ctx, touches, clock
):
    add_profile("true-markets", "tm")
    add_profile("token-of-trust", "tot")
    touches.on = True
    window = make_window(select="tm")
    view = window.token_view
    with qtbot.waitSignal(view.token_obtained, timeout=10_000):
        view.mint_button.click()
    qtbot.waitUntil(view.verify_button.isEnabled)
    view.verify_button.click()
    qtbot.waitUntil(lambda: view.verify_label.text().startswith("✓"), timeout=10_000)
    with qtbot.waitSignal(window.clipboard.copied, timeout=10_000):
        window.copy_header_action.trigger()
    view.auto_refresh.setChecked(True)
    window.select_profile("tot")
    with qtbot.waitSignal(view.token_obtained, timeout=10_000):
        window.refresh_action.trigger()  # token-of-trust has no refresh: Ctrl+R mints
    clock.advance(3 * 3600)  # every token expired: ticks, sidebar, auto-refresh of tm
    qtbot.waitUntil(lambda: window.tokens.state("tm") == "valid", timeout=10_000)
    window.reload_profiles()
    window.remove_profile(confirm=False)
    qtbot.waitUntil(lambda: "tot" not in window.profiles, timeout=10_000)
    wait_idle(qtbot, window)
    assert touches.on_gui_thread == []


def test_a_token_obtained_outside_the_window_reaches_it_by_an_engine_event(
    qtbot, make_window, add_profile, ctx, monkeypatch
):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    qtbot.waitUntil(lambda: window.tokens.known("tot"))
    polled = []
    monkeypatch.setattr(ctx.engine, "cached", lambda name: polled.append(name))

    worker = threading.Thread(target=ctx.engine.get_token, args=("tot",), kwargs={"force": "mint"})
    worker.start()
    worker.join(10)
    qtbot.waitUntil(lambda: window.tokens.result("tot") is not None, timeout=5000)
    qtbot.waitUntil(lambda: window.token_view.token_box.token == window.tokens.result("tot").access_token)
    assert window.tokens.result("tot").obtained_by == "mint"
    qtbot.wait(300)  # several ticks
    assert polled == []  # no second route: the window never polls the engine
    assert not hasattr(window, "snapshots") and not hasattr(window, "_obtained_at")


def test_copying_a_token_does_not_turn_obtained_into_cache(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = window.token_view
    with qtbot.waitSignal(view.token_obtained, timeout=10_000):
        view.mint_button.click()
    wait_idle(qtbot, window)
    obtained = view.obtained_label.text()
    assert "mint" in obtained
    with qtbot.waitSignal(window.clipboard.copied, timeout=10_000):
        view.copy_token_button.click()
    wait_idle(qtbot, window)
    assert view.obtained_label.text() == obtained


def test_no_job_hands_the_gui_a_token_every_token_arrives_as_an_engine_event(
    qtbot, make_window, add_profile, clock, monkeypatch
):
    """Mint, Refresh, copy and auto-refresh: what a job's callback receives on the GUI thread
    is never a TokenResult (the engine's "changed" event is the one route)."""
    from workbench.core.engine.types import TokenResult
    from workbench.gui.tasks import TaskRunner

    delivered = []
    deliver = TaskRunner._deliver

    def recording(self, task, result):
        delivered.append(result)
        return deliver(self, task, result)

    monkeypatch.setattr(TaskRunner, "_deliver", recording)
    add_profile("paymentsgate", "pg")
    window = make_window(select="pg")
    view = window.token_view
    obtain(qtbot, window, view.refresh_button.click)
    with qtbot.waitSignal(window.clipboard.copied, timeout=10_000):
        view.copy_header_button.click()
    view.auto_refresh.setChecked(True)
    first = window.tokens.result("pg")
    clock.advance(window.tokens.renew_at("pg") - clock.now() + 1)
    qtbot.waitUntil(lambda: window.tokens.result("pg").access_token != first.access_token, timeout=10_000)
    wait_idle(qtbot, window)

    tokens = [r for r in delivered if isinstance(r, TokenResult)]
    nested = [r for r in delivered if isinstance(r, tuple) and any(isinstance(x, TokenResult) for x in r)]
    assert tokens == [] and nested == []
    assert window.token_view.token_box.token == window.tokens.result("pg").access_token


def test_the_request_tab_shows_a_token_obtained_elsewhere_from_the_one_notification(
    qtbot, make_window, add_profile
):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = window.request_view
    view.reveal_token.setChecked(True)
    assert "<the access token" in dict(table_rows(view.sent_headers))["Authorization"]

    worker = threading.Thread(target=ctx_engine_mint, args=(window, "tot"))
    worker.start()
    worker.join(10)
    qtbot.waitUntil(lambda: window.tokens.result("tot") is not None, timeout=5000)
    token = window.tokens.result("tot").access_token
    assert dict(table_rows(view.sent_headers))["Authorization"] == f"Bearer {token}"


def ctx_engine_mint(window, name):
    window.ctx.engine.get_token(name, force="mint")
