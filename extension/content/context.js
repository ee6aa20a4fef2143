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
    const E = root.TactEditors;
    const cleanups = [];
    const origin = doc.location ? doc.location.origin : "";
    const selectors = (config.siteSelectors || {})[origin] || {};
    // Where the agent is writing: the editor that last had focus and its caret, kept up to date
    // while they type, so that the panel (or a fix button) taking focus does not lose them.
    const active = { editor: null, caret: null };
    let selection = ""; // the last text selected outside editors and outside the panel

    const ctx = {
      adapter,
      config,
      doc,
      t,
      send,
      selectors,
      state: {}, // shared facts: current suggestion, last inserted reply per editor, last check
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
      editorFor(el) {
        const host = el && E.editorOf(el);
        return host && adapter.isCompose(host) ? host : null;
      },
      // The editor the agent is in and their caret: the tracked one while it is on the page, else
      // the adapter's guess (focused editor, else the last compose).
      target() {
        if (active.editor && active.editor.isConnected) return { editor: active.editor, caret: active.caret };
        const editor = adapter.findCompose(doc);
        return { editor, caret: null };
      },
      remember(editor) {
        if (!editor) return;
        if (active.editor !== editor) active.caret = null;
        active.editor = editor;
        const caret = E.forElement(editor).caret(editor);
        if (caret) active.caret = caret;
      },
      // What the agent selected outside the editors: now, else the last such selection.
      selection() {
        const now = currentSelection();
        return now || selection;
      },
      message(extra = {}) {
        return adapter.readMessage(doc, { ownEmail: config.agentEmail, ownName: config.agentName, selection: ctx.selection(),
                                          selectors, ...extra });
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
    function currentSelection() {
      const sel = doc.getSelection && doc.getSelection();
      if (!sel || sel.isCollapsed || !sel.rangeCount) return "";
      const node = sel.getRangeAt(0).commonAncestorContainer;
      const el = node.nodeType === 1 ? node : node.parentElement;
      if (!el || E.editorOf(el) || (el.closest && el.closest("#tact-root"))) return "";
      return String(sel).trim();
    }

    const track = (event) => {
      const target = event.composedPath ? event.composedPath()[0] : event.target;
      const editor = ctx.editorFor(target);
      if (editor) ctx.remember(editor);
    };
    for (const type of ["focusin", "keyup", "mouseup", "input", "select"]) ctx.on(doc, type, track, true);
    ctx.on(doc, "selectionchange", () => {
      const now = currentSelection();
      if (now) selection = now;
      const sel = doc.getSelection();
      const focused = doc.activeElement && ctx.editorFor(doc.activeElement);
      if (focused) ctx.remember(focused);
      else if (sel && sel.rangeCount && active.editor && active.editor.contains(sel.getRangeAt(0).startContainer)) ctx.remember(active.editor);
    });
    const focused = doc.activeElement && ctx.editorFor(doc.activeElement);
    if (focused) ctx.remember(focused);
    return ctx;
  }

  root.TactContext = { create, send };
  if (typeof module !== "undefined") module.exports = root.TactContext;
})(typeof globalThis !== "undefined" ? globalThis : this);
