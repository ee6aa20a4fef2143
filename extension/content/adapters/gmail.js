/* Gmail on the web. Selectors follow Gmail's reading pane (div.adn per message, span.gD sender
 * with email/name attributes, div.a3s body, h2.hP subject) and compose (div[role=textbox]
 * [g_editable], Send button with a data-tooltip starting "Send"). */
(function (root) {
  "use strict";
  const T = root.TactText || (typeof require !== "undefined" && require("../text.js"));
  const R = root.TactRegistry || (typeof require !== "undefined" && require("../registry.js"));

  function cleanBody(el) {
    const copy = el.cloneNode(true);
    copy.querySelectorAll(".gmail_quote, blockquote, .yj6qo, .adL").forEach((q) => q.remove());
    return T.readText(copy).trim();
  }

  const gmail = R.siteAdapter({
    name: "gmail",
    composeSelector: 'div[role="textbox"][contenteditable="true"][g_editable="true"], div.editable[contenteditable="true"]',
    sendButton: 'div[role="button"][data-tooltip^="Send"], div[role="button"].aoO',
    matches(url) {
      return /^https:\/\/mail\.google\.com\//.test(url);
    },
    readMessage(doc, { ownEmail = "" } = {}) {
      const messages = [...doc.querySelectorAll("div.adn")];
      for (let i = messages.length - 1; i >= 0; i--) {
        const sender = messages[i].querySelector("span.gD");
        const body = messages[i].querySelector("div.a3s");
        if (!sender || !body) continue;
        const email = sender.getAttribute("email") || "";
        if (ownEmail && email.toLowerCase() === ownEmail.toLowerCase()) continue;
        const subject = doc.querySelector("h2.hP");
        return {
          senderName: sender.getAttribute("name") || sender.textContent.trim(),
          senderEmail: email,
          subject: subject ? subject.textContent.trim() : "",
          text: cleanBody(body),
        };
      }
      return null;
    },
  });

  if (root.TactRegistry) root.TactRegistry.register(gmail);
  if (typeof module !== "undefined") module.exports = gmail;
})(typeof globalThis !== "undefined" ? globalThis : this);
