/* Variables for a template, from the open message (the customer) and the agent's profile. */
(function (root) {
  "use strict";

  function titleCase(word) {
    return word ? word.charAt(0).toUpperCase() + word.slice(1) : word;
  }

  function nameFromEmail(email) {
    const local = (email || "").split("@")[0];
    const parts = local.split(/[._-]+/).filter((p) => /^[\p{L}]{2,}$/u.test(p));
    return parts.length ? parts.map(titleCase).join(" ") : "";
  }

  function buildVariables(message, profile = {}) {
    const variables = {};
    if (message) {
      const name = (message.senderName || "").replace(/["']/g, "").trim() || nameFromEmail(message.senderEmail);
      const customer = {};
      if (name && !name.includes("@")) {
        customer.name = name;
        customer.first_name = name.split(/\s+/)[0];
      }
      if (message.senderEmail) customer.email = message.senderEmail;
      if (Object.keys(customer).length) variables.customer = customer;
      const ticket = {};
      if (message.subject) ticket.subject = message.subject;
      const id = /[#№]\s?(\d{3,})/.exec(message.subject || "");
      if (id) ticket.id = id[1];
      if (Object.keys(ticket).length) variables.ticket = ticket;
    }
    const agent = {};
    if (profile.agentName) agent.name = profile.agentName;
    if (profile.agentSignature) agent.signature = profile.agentSignature;
    if (Object.keys(agent).length) variables.agent = agent;
    if (profile.companyName) variables.company = { name: profile.companyName };
    return variables;
  }

  // Unfilled variables are left in the text as "[customer.first_name]"; find each occurrence.
  function findMarkers(text, names) {
    const found = [];
    for (const name of names || []) {
      const marker = `[${name}]`;
      let at = text.indexOf(marker);
      while (at !== -1) {
        found.push({ name, offset: at, length: marker.length });
        at = text.indexOf(marker, at + marker.length);
      }
    }
    return found.sort((a, b) => a.offset - b.offset);
  }

  // How much of the inserted text the agent changed before sending (0 = sent as inserted): the
  // edit distance over the longer text. The distance is that of what lies between the common
  // start and end (exact, and an edit is mostly one or two places); where even that would take
  // over MAX_CELLS steps (two different 5,000-character middles: the page would stall at Send), its
  // upper bound, the longer middle, stands in: rated as edited at least that much, it is not learned.
  const MAX_CELLS = 25e6;
  function editRatio(inserted, sent) {
    const whole = Math.max((inserted || "").length, (sent || "").length);
    if (!whole) return 0;
    let a = inserted || "";
    let b = sent || "";
    let start = 0;
    while (start < a.length && start < b.length && a[start] === b[start]) start++;
    let end = 0;
    while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
    a = a.slice(start, a.length - end);
    b = b.slice(start, b.length - end);
    if (a.length * b.length > MAX_CELLS) return Math.min(1, Math.max(a.length, b.length) / whole);
    const prev = new Array(b.length + 1).fill(0).map((_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let diag = prev[0];
      prev[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const keep = prev[j];
        prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
        diag = keep;
      }
    }
    return Math.min(1, prev[b.length] / whole);
  }

  const TactVariables = { buildVariables, findMarkers, editRatio, nameFromEmail };
  root.TactVariables = TactVariables;
  if (typeof module !== "undefined") module.exports = TactVariables;
})(typeof globalThis !== "undefined" ? globalThis : this);
