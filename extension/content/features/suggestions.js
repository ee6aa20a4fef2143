/* Suggestions: Ctrl+Shift+Space (or the toolbar command) opens the panel beside the editor the
 * agent is in, with the best replies for the customer's last message. The editor and caret are
 * taken before the panel takes focus; the chosen reply goes in at that caret, in that editor,
 * keeping the agent's own text around it, with its variables filled, unfilled ones highlighted and
 * the first selected. Puts ctx.markVariables(editor, names, within) and ctx.suggestions. */
(function (root) {
  "use strict";
  // The subject joins the query only when the message alone says too little ("Hi", "any news?"):
  // a thread that began as "login problem" must not keep steering a later "charged twice".
  const SHORT_WORDS = 4;

  function isShort(text) {
    return (text || "").trim().split(/\s+/u).filter((w) => /[\p{L}\p{N}]/u.test(w)).length < SHORT_WORDS;
  }

  function setup(ctx) {
    const { doc, t } = ctx;
    const { TactText: T, TactVariables: V, TactEditors: E } = root;
    const ext = typeof browser !== "undefined" ? browser : chrome;
    ctx.state.current = null; // {suggestion_id, items, message, variables, inserted}
    ctx.state.inserted = new WeakMap(); // editor → the reply inserted there {suggestion_id, template_id, text}
    ctx.state.snapshot = null; // {editor, caret, message} when the panel opened

    async function suggest(query) {
      const snapshot = ctx.state.snapshot;
      const message = (snapshot && snapshot.message) || ctx.message() || null;
      const text = query || (message && message.text);
      const panel = ctx.panel;
      if (!text) {
        panel.setItems([]);
        panel.setStatus(t("noMessage"));
        return;
      }
      const variables = V.buildVariables(message, ctx.config);
      panel.setStatus("");
      const body = { message: text, k: 5, variables };
      if (!query && message && message.subject && isShort(message.text)) body.subject = message.subject;
      if (ctx.config.language) body.language = ctx.config.language;
      const result = await ctx.send("suggest", body);
      if (!result.ok) {
        panel.setItems([]);
        panel.setStatus(ctx.explain(result), "error");
        return;
      }
      const current = { ...result.data, items: result.data.suggestions, message, variables, inserted: false };
      ctx.state.current = current;
      // The server says how sure it is (low_confidence; older servers only no_match): an unsure
      // answer to the customer's message is offered as the closest replies, with the search box
      // focused, never as the reply. What the agent searched for is listed as found.
      const unsure = !query && Boolean(result.data.low_confidence || result.data.no_match);
      panel.setItems(current.items, { unsure });
      if (result.data.no_match) panel.setStatus(t("noMatch"));
      else if (unsure) panel.setStatus(t("lowConfidence"));
      for (const item of current.items) {
        ctx.send("feedback", { suggestion_id: current.suggestion_id, template_id: item.template_id, action: "shown" });
      }
    }

    // Where a reply goes: the editor and caret saved when the panel opened, while that editor is
    // on the page; else wherever the agent is now.
    function destination() {
      const snap = ctx.state.snapshot;
      if (snap && snap.editor && snap.editor.isConnected) return snap;
      return ctx.target();
    }

    function insertInto(editor, caret, text) {
      const strategy = E.forElement(editor);
      const span = strategy.insert(editor, text, caret);
      ctx.remember(editor);
      return span;
    }

    function insert(item) {
      const { editor, caret } = destination();
      if (!editor) {
        ctx.panel.setStatus(t("noCompose"));
        return;
      }
      const span = insertInto(editor, caret, item.text);
      const current = ctx.state.current;
      if (current) {
        current.inserted = true;
        ctx.state.inserted.set(editor, { suggestion_id: current.suggestion_id, template_id: item.template_id, text: item.text });
        ctx.send("feedback", { suggestion_id: current.suggestion_id, template_id: item.template_id, action: "inserted" });
      }
      ctx.state.snapshot = null;
      ctx.panel.close(false);
      markVariables(editor, item.missing_variables, span);
      ctx.check.schedule(editor, 50);
    }

    function dismissed() {
      const current = ctx.state.current;
      ctx.state.snapshot = null;
      if (current && current.items.length && !current.inserted) {
        ctx.send("feedback", { suggestion_id: current.suggestion_id, template_id: current.items[0].template_id, action: "dismissed" });
      }
    }

    // Unfilled variables: highlighted, and the caret selects the first so the agent types over it.
    function markVariables(editor, names, within = null) {
      const text = E.forElement(editor).read(editor) || "";
      const markers = V.findMarkers(text, names)
        .filter((m) => !within || (m.offset >= within.start && m.offset + m.length <= within.end));
      if (T.isField(editor)) ctx.panel.mark(editor, "var", markers.map((m) => ({ offset: m.offset, length: m.length })));
      const ranges = T.isField(editor) ? [] : markers.map((m) => T.rangeFor(editor, m.offset, m.length)).filter(Boolean);
      ctx.highlight("tact-var", ranges);
      if (!markers.length) return;
      if (T.isField(editor)) {
        editor.focus({ preventScroll: true });
        editor.setSelectionRange(markers[0].offset, markers[0].offset + markers[0].length);
      } else if (ranges[0]) {
        editor.focus({ preventScroll: true });
        T.select(editor, ranges[0]);
      }
      editor.dataset.tactUnfilled = markers.map((m) => m.name).join(",");
    }

    function open() {
      const target = ctx.target(); // before the panel takes focus
      ctx.state.snapshot = { editor: target.editor, caret: target.caret, message: ctx.message() };
      ctx.panel.open(target.editor, "replies");
      suggest(null);
    }

    ctx.on(doc, "keydown", (event) => {
      if (event.ctrlKey && event.shiftKey && (event.code === "Space" || event.key === " ")) {
        event.preventDefault();
        event.stopPropagation();
        open();
      }
    }, true);
    const onMessage = (message) => {
      if (message && message.type === "open-panel") open();
    };
    ext.runtime.onMessage.addListener(onMessage);
    ctx.onDestroy(() => ext.runtime.onMessage.removeListener(onMessage));

    ctx.markVariables = markVariables;
    ctx.insertInto = insertInto;
    ctx.suggestions = { suggest, insert, dismissed, open };
    return {
      destroy() {
        ctx.highlight("tact-var", []);
      },
    };
  }

  root.TactSuggestions = { setup, isShort };
  if (typeof module !== "undefined") module.exports = root.TactSuggestions;
})(typeof globalThis !== "undefined" ? globalThis : this);
