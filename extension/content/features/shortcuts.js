/* Shortcuts: ";;name" then Tab in a compose box expands the template with that shortcut, in that
 * editor and at that spot, whatever happens to focus while the template is fetched. */
(function (root) {
  "use strict";
  const SHORTCUT = /;;([\p{L}\p{N}_-]+)$/u;

  function setup(ctx) {
    const { doc } = ctx;
    const { TactVariables: V, TactEditors: E } = root;

    async function expand(editor, at, typed, name) {
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
      const strategy = E.forElement(editor);
      const start = at - typed.length;
      if (!editor.isConnected || strategy.read(editor).slice(start, at) !== typed) return; // the agent changed it meanwhile
      const span = strategy.replace(editor, start, typed.length, rendered.data.text);
      ctx.remember(editor);
      ctx.markVariables(editor, rendered.data.missing_variables, span);
      ctx.check.schedule(editor, 50);
    }

    ctx.on(doc, "keydown", (event) => {
      if (event.key !== "Tab" || event.shiftKey) return;
      const editor = ctx.editorFor(event.composedPath ? event.composedPath()[0] : event.target);
      if (!editor) return;
      const strategy = E.forElement(editor);
      const caret = strategy.caret(editor);
      if (!caret) return;
      const match = SHORTCUT.exec(strategy.read(editor).slice(0, caret.start));
      if (!match) return;
      event.preventDefault();
      event.stopPropagation();
      expand(editor, caret.start, match[0], match[1]);
    }, true);

    ctx.send("templates"); // warm the shortcut list
    return { destroy() {} };
  }

  root.TactShortcuts = { setup };
  if (typeof module !== "undefined") module.exports = root.TactShortcuts;
})(typeof globalThis !== "undefined" ? globalThis : this);
