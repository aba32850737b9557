// The wall's safety net (issue #9), installed once per browser tab by ui/kiosk.py and kept outside the
// React tree, so it outlives a frontend that has crashed or lost its server:
//  - reload a tab whose app has been blank or disconnected for cfg.watchdogSeconds, but only once the
//    server answers its health check (reloading into a dead server would leave the browser's own error
//    page, which has no watchdog);
//  - reload every day at cfg.reloadAt (HH:MM[:SS] on the screen's clock), which also frees whatever
//    a browser accumulates over days;
//  - tell the server the wall's shape: a URL without ?screen= gets the window's size, which the next
//    run (the wall's refresh or rotation) sends with it (lib/kiosk.py Screen).
(function () {
  const cfg = __CONFIG__;
  const url = new URL(window.location.href);
  if (!url.searchParams.has("screen")) {
    url.searchParams.set("screen", window.innerWidth + "x" + window.innerHeight);
    window.history.replaceState(window.history.state, "", url);
  }
  if (window.__cockpitWatchdog) {
    window.__cockpitWatchdog.cfg = cfg;  // a later run may carry other settings (URL overrides)
    return;
  }
  const state = { cfg: cfg, badSince: null, reloading: false, nextReload: nextDaily(cfg.reloadAt) };
  window.__cockpitWatchdog = state;

  function nextDaily(at) {
    if (!at) return null;
    const [h, m, s] = at.split(":").map(Number);
    const next = new Date();
    next.setHours(h, m, s || 0, 0);
    if (next.getTime() <= Date.now()) next.setDate(next.getDate() + 1);
    return next.getTime();
  }

  function unwell() {
    const app = document.querySelector("[data-testid='stApp']");
    if (!app || app.getAttribute("data-test-connection-state") !== "CONNECTED") return true;
    return document.querySelectorAll("[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']").length === 0;
  }

  async function serverUp() {
    try {
      const resp = await fetch(state.cfg.health, { cache: "no-store" });
      return resp.ok;
    } catch (err) {
      return false;
    }
  }

  function reload(why) {
    state.reloading = true;
    console.info("cockpit watchdog: reloading (" + why + ")");
    window.location.reload();
  }

  setInterval(async function () {
    if (state.reloading) return;
    if (state.nextReload !== null && Date.now() >= state.nextReload && await serverUp()) {
      reload("daily");
      return;
    }
    if (!unwell()) {
      state.badSince = null;
      return;
    }
    if (state.badSince === null) state.badSince = Date.now();
    if (Date.now() - state.badSince >= state.cfg.watchdogSeconds * 1000 && await serverUp()) reload("blank");
  }, 2000);
})();
