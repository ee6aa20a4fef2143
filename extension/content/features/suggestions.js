/* Suggestions: Ctrl+Shift+Space (or the toolbar command) opens the panel with the best replies for
 * the open message; the chosen one is inserted with its variables filled, unfilled ones
 * highlighted and the first selected. Puts ctx.markVariables(compose, names). */
(function (root) {
  "use strict";

  function setup(ctx) {
    const { adapter, doc, t } = ctx;
    const { TactText: T, TactVariables: V } = root;
    const ext = typeof browser !== "undefined" ? browser : chrome;
    ctx.state.current = null; // {suggestion_id, items, message, variables, inserted}
    ctx.state.lastInserted = null;

    async function suggest(query) {
      const message = ctx.message() || null;
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
      if (!query && message.subject) body.subject = message.subject;
      if (ctx.config.language) body.language = ctx.config.language;
      const result = await ctx.send("suggest", body);
      if (!result.ok) {
        panel.setItems([]);
        panel.setStatus(ctx.explain(result), "error");
        return;
      }
      const current = { ...result.data, items: result.data.suggestions, message, variables, inserted: false };
      ctx.state.current = current;
      panel.setItems(current.items);
      if (result.data.no_match) panel.setStatus(t("noMatch"));
      for (const item of current.items) {
        ctx.send("feedback", { suggestion_id: current.suggestion_id, template_id: item.template_id, action: "shown" });
      }
    }

    function insert(item) {
      const compose = adapter.findCompose(doc);
      if (!compose) {
        ctx.panel.setStatus(t("noCompose"));
        return;
      }
      adapter.insertText(compose, item.text);
      const current = ctx.state.current;
      if (current) {
        current.inserted = true;
        ctx.state.lastInserted = { suggestion_id: current.suggestion_id, template_id: item.template_id, text: item.text };
        ctx.send("feedback", { suggestion_id: current.suggestion_id, template_id: item.template_id, action: "inserted" });
      }
      ctx.panel.close(false);
      markVariables(compose, item.missing_variables);
      ctx.check.schedule(compose, 50);
    }

    function dismissed() {
      const current = ctx.state.current;
      if (current && current.items.length && !current.inserted) {
        ctx.send("feedback", { suggestion_id: current.suggestion_id, template_id: current.items[0].template_id, action: "dismissed" });
      }
    }

    // Unfilled variables: highlighted, and the caret selects the first so the agent types over it.
    function markVariables(compose, names) {
      const text = adapter.readDraft(compose) || "";
      const markers = V.findMarkers(text, names);
      const ranges = T.isField(compose) ? [] : markers.map((m) => T.rangeFor(compose, m.offset, m.length)).filter(Boolean);
      ctx.highlight("tact-var", ranges);
      if (!markers.length) return;
      compose.focus();
      if (T.isField(compose)) compose.setSelectionRange(markers[0].offset, markers[0].offset + markers[0].length);
      else if (ranges[0]) T.select(compose, ranges[0]);
      compose.dataset.tactUnfilled = markers.map((m) => m.name).join(",");
    }

    function open() {
      ctx.panel.open();
      suggest(null);
    }

    ctx.on(doc, "keydown", (event) => {
      if (event.ctrlKey && event.shiftKey && (event.code === "Space" || event.key === " ")) {
        event.preventDefault();
        open();
      }
    }, true);
    const onMessage = (message) => {
      if (message && message.type === "open-panel") open();
    };
    ext.runtime.onMessage.addListener(onMessage);
    ctx.onDestroy(() => ext.runtime.onMessage.removeListener(onMessage));

    ctx.markVariables = markVariables;
    ctx.suggestions = { suggest, insert, dismissed };
    return {
      destroy() {
        ctx.highlight("tact-var", []);
      },
    };
  }

  root.TactSuggestions = { setup };
  if (typeof module !== "undefined") module.exports = root.TactSuggestions;
})(typeof globalThis !== "undefined" ? globalThis : this);
