/* Outlook on the web (office.com, office365.com, live.com). Outlook's class names change with
 * every build, so this adapter reads ARIA labels and roles: the reading pane's heading, the
 * "From" persona (a span whose title is the address), "Message body" regions, the Send button. */
(function (root) {
  "use strict";
  const T = root.TactText || (typeof require !== "undefined" && require("../text.js"));
  const R = root.TactRegistry || (typeof require !== "undefined" && require("../registry.js"));
  const BODY = '[aria-label^="Message body"]';

  function senderOf(container) {
    const persona = container.querySelector('[aria-label^="From"] span[title*="@"], span[title*="@"]');
    if (!persona) return null;
    const email = persona.getAttribute("title").replace(/^.*<|>.*$/g, "").trim();
    return { name: persona.textContent.trim().replace(/<.*>/, "").trim(), email };
  }

  const outlook = R.siteAdapter({
    name: "outlook",
    composeSelector: `${BODY}[contenteditable="true"], div[role="textbox"][contenteditable="true"]`,
    sendButton: 'button[aria-label="Send"], button[title^="Send"]',
    matches(url) {
      return /^https:\/\/outlook\.(office|office365|live)\.com\//.test(url);
    },
    // Outlook on the web served from a company's own host (Exchange): its app root and reading pane.
    detect(doc) {
      return !!doc.querySelector('#owaRoot, [data-app-section="ConversationContainer"], [aria-label="Reading Pane"]');
    },
    readMessage(doc, { ownEmail = "" } = {}) {
      const pane = doc.querySelector('[aria-label="Reading Pane"], [role="main"]') || doc.body;
      const items = [...pane.querySelectorAll('[role="listitem"], [data-tact-message], .message')];
      const containers = items.length ? items : [pane];
      for (let i = containers.length - 1; i >= 0; i--) {
        const body = [...containers[i].querySelectorAll(BODY)].find((b) => b.getAttribute("contenteditable") !== "true");
        const sender = senderOf(containers[i]);
        if (!body || !sender) continue;
        if (ownEmail && sender.email.toLowerCase() === ownEmail.toLowerCase()) continue;
        const heading = pane.querySelector('[role="heading"][aria-level="2"], [role="heading"]');
        const copy = body.cloneNode(true);
        copy.querySelectorAll("blockquote, #divRplyFwdMsg, [id^='appendonsend']").forEach((q) => q.remove());
        return { senderName: sender.name, senderEmail: sender.email, subject: heading ? heading.textContent.trim() : "",
                 text: T.readText(copy).trim() };
      }
      return null;
    },
  });

  if (root.TactRegistry) root.TactRegistry.register(outlook);
  if (typeof module !== "undefined") module.exports = outlook;
})(typeof globalThis !== "undefined" ? globalThis : this);
