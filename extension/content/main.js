/* Content entry point: picks the adapter for this page (by host, else by page signature, else the
 * generic one where the agent switched it on), then sets up the panel and each feature on a shared
 * context. destroy() takes all of it out again. Nothing here may break the mail page. */
(function (root) {
  "use strict";
  const { TactRegistry, TactPanel, TactContext } = root;
  // In order: the live check first (the others call it), the send guard last.
  const FEATURES = [root.TactLiveCheck, root.TactSuggestions, root.TactShortcuts, root.TactSendGuard];

  function setup(adapter, config, doc = document) {
    const ctx = TactContext.create(adapter, config, doc, TactPanel.t);
    const style = doc.createElement("style");
    style.textContent = "::highlight(tact-var){background:#ffe58a}::highlight(tact-issue){text-decoration:underline wavy #cf222e;text-decoration-skip-ink:none}";
    (doc.head || doc.documentElement).append(style);
    ctx.onDestroy(() => style.remove());

    ctx.panel = TactPanel.create(doc, {
      onSearch: (query) => ctx.suggestions.suggest(query || null),
      onInsert: (item) => ctx.suggestions.insert(item),
      onClose: (dismissed) => dismissed && ctx.suggestions.dismissed(),
      onApply: (issue, replacement) => ctx.check.applyFix(issue, replacement),
    });
    ctx.onDestroy(() => ctx.panel.destroy());

    for (const feature of FEATURES) {
      const instance = feature.setup(ctx);
      ctx.onDestroy(() => instance.destroy());
    }
    return { panel: ctx.panel, context: ctx, destroy: () => ctx.destroy() };
  }

  async function start() {
    if (root.__tact) return;
    const config = await TactContext.send("config");
    const settings = config.ok ? config.data : {};
    const adapter = TactRegistry.forPage(document, location.href,
                                         { genericEnabled: (settings.sites || []).includes(location.origin) });
    if (!adapter) return;
    root.__tact = setup(adapter, settings);
    document.documentElement.dataset.tactAdapter = adapter.name;
    addEventListener("pagehide", () => {
      if (root.__tact) root.__tact.destroy();
      root.__tact = null;
    });
  }

  root.TactMain = { setup, start };
  if (typeof module !== "undefined") module.exports = root.TactMain;
  else start();
})(typeof globalThis !== "undefined" ? globalThis : this);
