/* Before sending: a privacy error (card number, secret) needs the agent's confirmation; a sent
 * reply that came from a suggestion reports how much the agent edited it. */
(function (root) {
  "use strict";

  function setup(ctx) {
    const { adapter, doc } = ctx;
    const V = root.TactVariables;
    let bypass = false;

    ctx.onDestroy(adapter.onSend(doc, ({ event, button, compose }) => {
      if (bypass || !compose) {
        bypass = false;
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
      (async () => {
        const draft = adapter.readDraft(compose) || "";
        const result = await ctx.check.run(compose);
        const blocking = result ? result.issues.filter((i) => i.category === "privacy" && i.severity === "error") : [];
        if (blocking.length && !(await ctx.panel.confirm(blocking))) return;
        const inserted = ctx.state.lastInserted;
        if (inserted) {
          ctx.send("feedback", { suggestion_id: inserted.suggestion_id, template_id: inserted.template_id, action: "sent",
                                 edit_ratio: Number(V.editRatio(inserted.text, draft).toFixed(4)) });
          ctx.state.lastInserted = null;
        }
        bypass = true;
        if (button) button.click();
        else bypass = false;
      })();
    }));
    return { destroy() {} };
  }

  root.TactSendGuard = { setup };
  if (typeof module !== "undefined") module.exports = root.TactSendGuard;
})(typeof globalThis !== "undefined" ? globalThis : this);
