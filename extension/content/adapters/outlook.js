/* Outlook on the web (office.com, office365.com, live.com, or a company's own Exchange host).
 * Outlook's class names change with every build, so this adapter reads what automation projects
 * rely on: the reading pane (#ReadingPaneContainerId, [data-app-section=ConversationContainer],
 * aria-label "Reading Pane"), message bodies (aria-label "Message body" / "Текст сообщения",
 * #UniqueMessageBody, role=document) whose HTML carries the "x_"-prefixed ids of the mail it
 * quotes (x_divRplyFwdMsg, x_appendonsend), sender personas (a span whose title is the address),
 * the compose body (role=textbox contenteditable) and the Send button (aria-label/title "Send" or
 * "Отправить"). A conversation lists the newest message first or last, as the user chose. */
(function (root) {
  "use strict";
  const T = root.TactText || (typeof require !== "undefined" && require("../text.js"));
  const R = root.TactRegistry || (typeof require !== "undefined" && require("../registry.js"));
  const BODY = '[aria-label^="Message body"], [aria-label^="Текст сообщения"], [id="UniqueMessageBody"], [id^="UniqueMessageBody"], [role="document"]';
  const COMPOSE = 'div[role="textbox"][contenteditable="true"], [aria-label^="Message body"][contenteditable="true"], [aria-label^="Текст сообщения"][contenteditable="true"]';
  const QUOTES = '[id$="divRplyFwdMsg"], [id$="appendonsend"], [id*="divRplyFwdMsg"], blockquote, .gmail_quote, hr[style*="inline-block"]';
  const PANE = '#ReadingPaneContainerId, [data-app-section="ConversationContainer"], [aria-label="Reading Pane"], [aria-label="Область чтения"], [role="main"]';
  const SEND_LABEL = /^(send|отправить)\b/i;
  const EMAIL = T.EMAIL;

  function senderOf(container) {
    const persona = container.querySelector('[aria-label^="From"] [title*="@"], [aria-label^="От"] [title*="@"], span[title*="@"], [title*="@"]');
    if (!persona) return null;
    const found = EMAIL.exec(persona.getAttribute("title"));
    const name = persona.textContent.replace(/<[^>]*>/, "").replace(EMAIL, "").trim();
    return { name, email: found ? found[0] : "" };
  }

  // When a message was sent, from its header ("Mon 11/23/2026 10:12 AM", "Пн 23.11.2026 10:12",
  // ISO dates in title attributes): null when the header shows none.
  function dateOf(container, body) {
    const parts = [];
    for (const el of container.querySelectorAll("[title], time[datetime]")) {
      if (!body.contains(el)) parts.push(el.getAttribute("datetime") || el.getAttribute("title"));
    }
    const header = container.cloneNode(true);
    header.querySelectorAll(BODY).forEach((b) => b.remove());
    parts.push(header.textContent || "");
    for (const part of parts) {
      const iso = /(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/.exec(part);
      if (iso) return Date.UTC(+iso[1], iso[2] - 1, +iso[3], +iso[4], +iso[5]);
      const m = /(\d{1,2})([./])(\d{1,2})\2(\d{4})\D{1,3}(\d{1,2}):(\d{2})(?:\s*([AP]M))?/i.exec(part);
      if (m) {
        const [day, month] = m[2] === "." ? [+m[1], +m[3]] : [+m[3], +m[1]];
        let hour = +m[5] % 12 + (m[7] && /pm/i.test(m[7]) ? 12 : 0);
        if (!m[7]) hour = +m[5];
        return Date.UTC(+m[4], month - 1, day, hour, +m[6]);
      }
    }
    return null;
  }

  function ownEmail(doc) {
    const me = doc.querySelector("#mectrl_currentAccount_secondary, [id$='currentAccount_secondary']");
    const found = me && EMAIL.exec(me.textContent || "");
    return found ? found[0] : "";
  }

  function messagesIn(pane) {
    const out = [];
    for (const body of pane.querySelectorAll(BODY)) {
      if (body.isContentEditable || body.closest('[contenteditable="true"]')) continue; // a draft, not a message
      if (out.some((m) => m.body.contains(body))) continue;
      // the message around the body: the nearest ancestor that also holds a sender persona
      let container = body.parentElement;
      while (container && !senderOf(container)) container = container === pane ? null : container.parentElement;
      if (!container) continue;
      const sender = senderOf(container);
      out.push({ body, container, sender, date: dateOf(container, body) });
    }
    return out;
  }

  // Newest first or newest last: by the dates in the headers when there are; else by where the
  // reply box is (Outlook puts it on the side of the newest message); else Outlook's default,
  // newest on top.
  function newestFirst(messages, pane) {
    const dated = messages.filter((m) => m.date !== null);
    if (dated.length >= 2 && dated[0].date !== dated[dated.length - 1].date) return dated[0].date > dated[dated.length - 1].date;
    const compose = pane.querySelector(COMPOSE);
    if (compose && messages.length) return !(messages[0].body.compareDocumentPosition(compose) & 4 /* compose after */);
    return true;
  }

  // A reply popped out into its own window has no reading pane: the message replied to is the
  // history Outlook quotes below the draft (#divRplyFwdMsg's "From: Name <address>" header, then
  // the text, up to the next quoted header).
  function quotedInCompose(doc, own) {
    const header = [...doc.querySelectorAll(COMPOSE)].map((c) => c.querySelector('[id$="divRplyFwdMsg"]')).find(Boolean);
    if (!header) return null;
    const from = /(?:From|От|De)\s*:\s*([^<\n]*?)\s*<([^>\s]+)>/i.exec(header.textContent || "")
      || /(?:From|От|De)\s*:\s*([^\n]+?)\s*(?:\n|Sent|Отправлено|$)/i.exec(header.textContent || "");
    const senderEmail = from && from[2] ? from[2] : "";
    if (senderEmail && own.includes(senderEmail.toLowerCase())) return null;
    const holder = doc.createElement("div");
    for (let node = header.nextSibling; node; node = node.nextSibling) holder.append(node.cloneNode(true));
    const text = T.stripQuoted(T.readText(T.cutQuotes(holder, QUOTES)).trim());
    if (!text) return null;
    const subject = doc.querySelector('input[aria-label="Add a subject"], input[aria-label="Subject"], input[aria-label="Тема"]');
    return { senderName: from ? from[1].trim() : "", senderEmail, subject: subject ? subject.value.replace(/^(RE|AW|Ответ|Отв)\s*:\s*/i, "") : "", text };
  }

  const outlook = R.siteAdapter({
    name: "outlook",
    composeSelector: COMPOSE,
    sendButton: (target) => {
      const button = target.closest('button, [role="button"]');
      if (!button) return null;
      const label = (button.getAttribute("aria-label") || button.getAttribute("title") || button.textContent || "").trim();
      return SEND_LABEL.test(label) ? button : null;
    },
    matches(url) {
      return /^https:\/\/outlook\.(office|office365|live)\.com\//.test(url);
    },
    // Outlook on the web served from a company's own host (Exchange): its app root and reading pane.
    detect(doc) {
      return !!doc.querySelector('#owaRoot, [data-app-section="ConversationContainer"], #ReadingPaneContainerId, [aria-label="Reading Pane"]');
    },
    ownEmail,
    readMessage(doc, { ownEmail: configured = "", ownName = "" } = {}) {
      const own = [configured, ownEmail(doc)].filter(Boolean).map((e) => e.toLowerCase());
      const pane = doc.querySelector(PANE) || doc.body;
      const messages = messagesIn(pane);
      if (!newestFirst(messages, pane)) messages.reverse();
      if (!messages.length) return quotedInCompose(doc, own);
      for (const { body, sender } of messages) {
        if (own.includes(sender.email.toLowerCase()) || (ownName && sender.name.toLowerCase() === ownName.toLowerCase())) continue;
        const text = T.stripQuoted(T.readText(T.cutQuotes(body, QUOTES)).trim());
        if (!text) continue;
        const heading = pane.querySelector('[role="heading"][aria-level="2"], [role="heading"]');
        return { senderName: sender.name, senderEmail: sender.email, subject: heading ? heading.textContent.trim() : "", text };
      }
      return null;
    },
  });

  if (root.TactRegistry) root.TactRegistry.register(outlook);
  if (typeof module !== "undefined") module.exports = outlook;
})(typeof globalThis !== "undefined" ? globalThis : this);
