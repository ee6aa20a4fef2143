/* Gmail on the web. The hooks under Gmail's class soup, as projects that automate Gmail use them
 * (gmail.js, InboxSDK-based extensions, userscripts): div.adn per message in a thread, span.gD with
 * email/name attributes for its sender, div.a3s for its body (quoted history in .gmail_quote,
 * trimmed content in .yj6qo/.adL), h2.hP for the subject; reply editors are contenteditable
 * div[role=textbox][g_editable=true] (inline reply and pop-out "New message" can be open at
 * once); Send is a div[role=button] (class aoO, data-tooltip "Send (Ctrl-Enter)" or "Отправить …"
 * in Russian) that acts on mousedown + mouseup. */
(function (root) {
  "use strict";
  const T = root.TactText || (typeof require !== "undefined" && require("../text.js"));
  const R = root.TactRegistry || (typeof require !== "undefined" && require("../registry.js"));
  const QUOTES = ".gmail_quote, blockquote, .gmail_extra, .yj6qo, .adL, .gmail_signature";
  const SEND = 'div[role="button"].aoO, div[role="button"][data-tooltip^="Send"], div[role="button"][data-tooltip^="Отправить"], '
    + 'div[role="button"][aria-label^="Send"], div[role="button"][aria-label^="Отправить"]';
  const EMAIL = T.EMAIL;

  function cleanBody(el) {
    return T.stripQuoted(T.readText(T.cutQuotes(el, QUOTES)).trim());
  }

  // The signed-in account: the Google Account button ("Google Account: Sam (sam@…)"), else the
  // page title ("Inbox (3) - sam@… - Gmail").
  function ownEmail(doc) {
    const account = doc.querySelector('a[aria-label*="@"][href*="accounts.google.com"], a[aria-label^="Google Account"], a[aria-label^="Аккаунт Google"]');
    const found = (account && EMAIL.exec(account.getAttribute("aria-label") || "")) || EMAIL.exec(doc.title || "");
    return found ? found[0] : "";
  }

  const gmail = R.siteAdapter({
    name: "gmail",
    composeSelector: 'div[contenteditable="true"][g_editable="true"], div.Am.editable[contenteditable="true"]',
    sendButton: (target) => {
      const button = target.closest(SEND);
      // the arrow next to Send ("More send options") and Schedule send are not a send
      return button && !/more send|schedule|запланировать|другие/i.test(button.getAttribute("data-tooltip") || button.getAttribute("aria-label") || "") ? button : null;
    },
    matches(url) {
      return /^https:\/\/mail\.google\.com\//.test(url);
    },
    ownEmail,
    // The message being replied to: the last one in the thread from someone other than the agent.
    readMessage(doc, { ownEmail: configured = "", ownName = "" } = {}) {
      const own = [configured, ownEmail(doc)].filter(Boolean).map((e) => e.toLowerCase());
      const messages = [...doc.querySelectorAll("div.adn")];
      for (let i = messages.length - 1; i >= 0; i--) {
        const sender = messages[i].querySelector("span.gD, span[email]");
        const body = messages[i].querySelector("div.a3s");
        if (!sender || !body) continue;
        const email = sender.getAttribute("email") || "";
        const name = sender.getAttribute("name") || sender.textContent.trim();
        if (own.includes(email.toLowerCase()) || (ownName && name.toLowerCase() === ownName.toLowerCase())) continue;
        const text = cleanBody(body);
        if (!text) continue;
        const subject = doc.querySelector("h2.hP");
        return { senderName: name, senderEmail: email, subject: subject ? subject.textContent.trim() : "", text };
      }
      return null;
    },
  });

  if (root.TactRegistry) root.TactRegistry.register(gmail);
  if (typeof module !== "undefined") module.exports = gmail;
})(typeof globalThis !== "undefined" ? globalThis : this);
