/* Shortcuts: ";;name" then Tab in a compose box expands the template with that shortcut. */
(function (root) {
  "use strict";
  const SHORTCUT = /;;([\p{L}\p{N}_-]+)$/u;

  function setup(ctx) {
    const { adapter, doc } = ctx;
    const { TactText: T, TactVariables: V } = root;

    async function expand(compose, typed, name) {
      const list = await ctx.send("templates");
      if (!list.ok) {
        ctx.panel.setStatus(ctx.explain(list), "error");
        return;
      }
      const wanted = name.toLowerCase();
      const language = ctx.config.language;
      const matches = list.data.filter((tpl) => (tpl.shortcut || "").toLowerCase() === wanted);
      const template = matches.find((tpl) => tpl.team_id !== null) || matches.find((tpl) => !language || tpl.language === language) || matches[0];
      if (!template) return;
      const rendered = await ctx.send("render", { template_id: template.id, variables: V.buildVariables(ctx.message(), ctx.config) });
      if (!rendered.ok) {
        ctx.panel.setStatus(ctx.explain(rendered), "error");
        return;
      }
      T.deleteBeforeCaret(compose, typed.length);
      adapter.insertText(compose, rendered.data.text);
      ctx.markVariables(compose, rendered.data.missing_variables);
      ctx.check.schedule(compose, 50);
    }

    ctx.on(doc, "keydown", (event) => {
      if (event.key !== "Tab" || event.shiftKey) return;
      const compose = adapter.findCompose(doc);
      if (!compose || !compose.contains(event.target)) return;
      const match = SHORTCUT.exec(T.textBeforeCaret(compose));
      if (!match) return;
      event.preventDefault();
      event.stopPropagation();
      expand(compose, match[0], match[1]);
    }, true);

    ctx.send("templates"); // warm the shortcut list
    return { destroy() {} };
  }

  root.TactShortcuts = { setup };
  if (typeof module !== "undefined") module.exports = root.TactShortcuts;
})(typeof globalThis !== "undefined" ? globalThis : this);
