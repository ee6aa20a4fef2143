/* The check while typing: debounced, issues underlined in the editor and listed in the panel with
 * one-click fixes. Puts ctx.check = { schedule(compose, delay), run(compose), applyFix(issue, text) }. */
(function (root) {
  "use strict";

  function setup(ctx) {
    const { adapter, doc } = ctx;
    const T = root.TactText;
    let timer = null;
    ctx.state.lastCheck = null; // {text, result}

    function schedule(compose, delay = 800) {
      clearTimeout(timer);
      timer = setTimeout(() => run(compose), delay);
    }

    async function run(compose) {
      const text = adapter.readDraft(compose) || "";
      if (!text.trim()) {
        ctx.panel.setCheck(null);
        ctx.highlight("tact-issue", []);
        return null;
      }
      const last = ctx.state.lastCheck;
      if (last && last.text === text) return last.result;
      const message = ctx.message();
      const body = { text };
      if (message && message.text) body.reply_to = `${message.senderEmail || ""}\n${message.text}`;
      // No language: the server detects it per draft, so a Russian draft gets Russian advice
      // whatever the agent's preferred language for suggestions.
      const result = await ctx.send("check", body);
      if (!result.ok) {
        ctx.panel.setStatus(ctx.explain(result), "error");
        return null;
      }
      if ((adapter.readDraft(compose) || "") !== text) return result.data; // typed on meanwhile
      ctx.state.lastCheck = { text, result: result.data };
      ctx.panel.setCheck(result.data);
      const ranges = T.isField(compose) ? [] : result.data.issues
        .filter((i) => i.length > 0 && i.severity !== "info")
        .map((i) => T.rangeFor(compose, i.offset, i.length)).filter(Boolean);
      ctx.highlight("tact-issue", ranges);
      return result.data;
    }

    function applyFix(issue, replacement) {
      const compose = adapter.findCompose(doc);
      if (!compose || !ctx.state.lastCheck) return;
      if (T.replaceRange(compose, issue.offset, issue.length, replacement)) schedule(compose, 50);
    }

    ctx.on(doc, "input", (event) => {
      const compose = adapter.findCompose(doc);
      if (compose && compose.contains(event.target)) {
        ctx.highlight("tact-var", []);
        schedule(compose);
      }
    }, true);

    ctx.check = { schedule, run, applyFix };
    return {
      destroy() {
        clearTimeout(timer);
        ctx.highlight("tact-issue", []);
      },
    };
  }

  root.TactLiveCheck = { setup };
  if (typeof module !== "undefined") module.exports = root.TactLiveCheck;
})(typeof globalThis !== "undefined" ? globalThis : this);
