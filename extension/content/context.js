/* What every content feature shares: the adapter, the agent's settings, the page, the panel, the
 * way to the background worker, and a list of clean-ups. Features (content/features/*.js) each
 * have setup(ctx) → { destroy() } and talk to one another only through what they put on ctx. */
(function (root) {
  "use strict";
  const ext = typeof browser !== "undefined" ? browser : (typeof chrome !== "undefined" ? chrome : null);

  function send(type, data) {
    return new Promise((resolve) => {
      try {
        ext.runtime.sendMessage({ type, data }, (reply) => {
          if (ext.runtime.lastError || !reply) resolve({ ok: false, error: "unreachable" });
          else resolve(reply);
        });
      } catch (error) {
        resolve({ ok: false, error: "unreachable" }); // extension reloaded: stay quiet
      }
    });
  }

  function create(adapter, config, doc, t) {
    const cleanups = [];
    const ctx = {
      adapter,
      config,
      doc,
      t,
      send,
      state: {}, // shared facts: current suggestion, last inserted reply, last check
      on(target, type, fn, opts) {
        target.addEventListener(type, fn, opts);
        cleanups.push(() => target.removeEventListener(type, fn, opts));
      },
      onDestroy(fn) {
        cleanups.push(fn);
      },
      explain(result) {
        if (result.error === "not_configured") return t("notConfigured");
        if (result.error === "unauthorized") return t("badToken");
        if (result.error === "unreachable") return t("unreachable");
        return result.message || "Tact error";
      },
      // CSS Custom Highlights: marks in the mail's editor without touching its DOM.
      highlight(name, ranges) {
        if (!root.CSS || !CSS.highlights || typeof Highlight === "undefined") return;
        if (ranges.length) CSS.highlights.set(name, new Highlight(...ranges));
        else CSS.highlights.delete(name);
      },
      message(doc_ = doc) {
        return adapter.readMessage(doc_, { ownEmail: config.agentEmail });
      },
      destroy() {
        while (cleanups.length) {
          try {
            cleanups.pop()();
          } catch (error) {
            /* keep tearing down */
          }
        }
      },
    };
    return ctx;
  }

  root.TactContext = { create, send };
  if (typeof module !== "undefined") module.exports = root.TactContext;
})(typeof globalThis !== "undefined" ? globalThis : this);
