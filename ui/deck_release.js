// Lets the browser free a map once it is gone (issue #14 item 4), installed once per wall tab by ui/kiosk.py.
// deck.gl's canvas context (luma.gl) listens for devicePixelRatio changes on a MediaQueryList and never
// removes that listener when a map is unmounted (visgl/deck.gl#10355, open at the time of writing). The
// browser keeps a MediaQueryList with listeners alive, so each map ever drawn stays reachable: its canvas,
// its Deck and, through React's props, the page it was on with every Vega chart (a heap snapshot of a
// wall after six minutes of rotation: 2,890 detached nodes, all retained on that one path). Here a
// listener on a *resolution* query is held weakly: the map object keeps its own listener alive while it
// exists, and once the map is gone nothing else does. Other media queries (the theme's) are untouched.
(function () {
  if (window.__cockpitDeckRelease) return;
  window.__cockpitDeckRelease = true;
  const proto = MediaQueryList.prototype;
  const add = proto.addEventListener;
  const remove = proto.removeEventListener;
  const weak = new WeakMap();  // a listener → the wrapper registered in its place

  proto.addEventListener = function (type, listener, options) {
    if (type !== "change" || typeof listener !== "function" || !String(this.media).includes("resolution")) {
      return add.call(this, type, listener, options);
    }
    const list = this;
    const ref = new WeakRef(listener);
    const wrapper = function (event) {
      const alive = ref.deref();
      if (alive) return alive.call(this, event);
      remove.call(list, type, wrapper, options);  // its map is gone: drop the wrapper too
    };
    weak.set(listener, wrapper);
    return add.call(this, type, wrapper, options);
  };
  proto.removeEventListener = function (type, listener, options) {
    const wrapper = typeof listener === "function" ? weak.get(listener) : undefined;
    return remove.call(this, type, wrapper || listener, options);
  };
})();
