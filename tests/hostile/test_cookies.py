"""Issue 17 item 10: one process (the GUI, a script on the engine) serves many profiles; a cookie
provider A sets must never reach profile B's API. Before, the engine's shared client kept one
cookie jar, and cookies ignore ports: A's `Set-Cookie` went to B on the same host. The engine
keeps no cookies at all (credentials go only where a profile's preset puts them)."""

from __future__ import annotations

from tests.hostile.conftest import fake_jwt
from tests.hostile.server import Reply


def _engine(workbench_home):
    from workbench.core.clock import Clock
    from workbench.core.engine.token_engine import TokenEngine
    from workbench.core.profiles.catalog import PresetCatalog
    from workbench.core.profiles.store import ProfileStore
    from workbench.core.storage.vault import MemoryKeyring, Vault

    store = ProfileStore(presets=PresetCatalog.load_default())
    vault = Vault(MemoryKeyring())
    return store, vault, TokenEngine(profiles=store, vault=vault, clock=Clock())


def test_a_cookie_set_for_one_profile_never_reaches_another(workbench_home, provider, elsewhere):
    store, vault, engine = _engine(workbench_home)
    for name, server in (("a", provider), ("b", elsewhere)):
        store.create(name, preset="bearer", base_url=server.url, vars={}, secret_names=["access_token"])
        vault.store(name, "access_token", fake_jwt({"sub": name}))
    provider.route(
        "/login", Reply.json({"ok": True}, headers=[("Set-Cookie", "sid=A-SESSION-SECRET; Path=/")])
    )
    elsewhere.route("/data", Reply.json({"ok": True}))
    provider.route("/data", Reply.json({"ok": True}))
    try:
        assert engine.call("a", "GET", "/login").status == 200
        assert engine.call("b", "GET", "/data").status == 200
        assert engine.call("a", "GET", "/data").status == 200
    finally:
        engine.close()
    sent = [s.headers.get("cookie", "") for s in (*elsewhere.seen, *provider.seen)]
    assert not any("A-SESSION-SECRET" in c for c in sent), sent
