/* Before sending, on the compose whose Send was pressed (button, keyboard or form submit): a
 * privacy error (card number, secret) needs the agent's confirmation; a sent reply that came from a
 * suggestion reports how much the agent edited it. A draft already checked clean goes out at once,
 * untouched; otherwise the send waits for the check and is then replayed the way the site expects. */
(function (root) {
  "use strict";

  function setup(ctx) {
    const { adapter, doc } = ctx;
    const { TactVariables: V, TactEditors: E } = root;

    function reportSent(editor, draft) {
      const inserted = ctx.state.inserted.get(editor);
      if (!inserted) return;
      ctx.send("feedback", { suggestion_id: inserted.suggestion_id, template_id: inserted.template_id, action: "sent",
                             edit_ratio: Number(V.editRatio(inserted.text, draft).toFixed(4)) });
      ctx.state.inserted.delete(editor);
    }

    async function review(editor, draft, released) {
      const result = await ctx.check.run(editor);
      const blocking = ctx.check.blocking(result);
      await released;
      if (blocking.length && !(await ctx.panel.confirm(blocking))) return false;
      reportSent(editor, draft);
      return true;
    }

    ctx.onDestroy(adapter.onSend(doc, ({ compose, released }) => {
      if (!compose || !compose.isConnected) return null;
      const draft = E.forElement(compose).read(compose) || "";
      if (!draft.trim()) return null;
      const last = ctx.state.lastCheck;
      if (last && last.editor === compose && last.text === draft && !ctx.check.blocking(last.result).length) {
        reportSent(compose, draft);
        return null; // known clean: let the site's own send go through untouched
      }
      return review(compose, draft, released);
    }));
    return { destroy() {} };
  }

  root.TactSendGuard = { setup };
  if (typeof module !== "undefined") module.exports = root.TactSendGuard;
})(typeof globalThis !== "undefined" ? globalThis : this);
