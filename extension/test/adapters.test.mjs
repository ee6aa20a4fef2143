// Adapter unit tests on the committed fixture pages (node's built-in runner, jsdom for the DOM).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { JSDOM } from "jsdom";

const require = createRequire(import.meta.url);
const FIXTURES = new URL("../../tests/e2e/fixtures/", import.meta.url);
const gmail = require("../content/adapters/gmail.js");
const outlook = require("../content/adapters/outlook.js");
const generic = require("../content/adapters/generic.js");
const registry = require("../content/registry.js");
const text = require("../content/text.js");
const variables = require("../content/variables.js");
const editors = require("../content/editors.js");
const panel = require("../content/panel.js");

function page(name, url) {
  const html = readFileSync(new URL(name, FIXTURES), "utf8").replace(/<script>[\s\S]*?<\/script>/g, "");
  return new JSDOM(html, { url }).window.document;
}

test("gmail reads the customer's last message without the quoted part", () => {
  const doc = page("gmail.html", "https://mail.google.com/mail/u/0/#inbox/1");
  assert.ok(gmail.matches(doc.location.href));
  const message = gmail.readMessage(doc);
  assert.equal(message.senderName, "Dana Miller");
  assert.equal(message.senderEmail, "dana.miller@example.com");
  assert.equal(message.subject, "Charged twice for order #48213");
  assert.match(message.text, /charged twice for my order #48213/);
  assert.doesNotMatch(message.text, /Thank you for your order/);
  assert.equal(gmail.readMessage(doc, { ownEmail: "DANA.MILLER@example.com" }), null);
});

test("gmail finds the compose box and reads its lines", () => {
  const doc = page("gmail.html", "https://mail.google.com/mail/u/0/");
  const box = gmail.findCompose(doc);
  assert.equal(box.getAttribute("aria-label"), "Message Body");
  box.innerHTML = "<div>Hello Dana,</div><div><br></div><div>Refunded.</div>";
  assert.equal(editors.forElement(box).read(box), "Hello Dana,\n\nRefunded.");
});

test("outlook reads sender, subject and body from ARIA labels", () => {
  const doc = page("outlook.html", "https://outlook.office.com/mail/inbox/id/1");
  assert.ok(outlook.matches(doc.location.href) && !gmail.matches(doc.location.href));
  const message = outlook.readMessage(doc);
  assert.deepEqual([message.senderName, message.senderEmail], ["Мария Иванова", "maria.ivanova@example.ru"]);
  assert.equal(message.subject, "Где мой заказ №77120?");
  assert.match(message.text, /посылка так и не пришла/);
  assert.equal(outlook.findCompose(doc).getAttribute("role"), "textbox");
});

test("a broken adapter is isolated by the registry", () => {
  registry.clear();
  registry.register({ name: "broken", matches: () => true, readMessage: () => { throw new Error("page changed"); },
                      findCompose: () => null, onSend: () => { throw new Error("x"); } });
  registry.register(gmail);
  const adapter = registry.forUrl("https://mail.google.com/");
  assert.equal(adapter.name, "broken");
  assert.equal(adapter.readMessage({}), null);
  assert.equal(typeof adapter.onSend({}, () => {}), "function");
  registry.clear();
  registry.register(gmail);
  registry.register(generic);
  assert.equal(registry.forUrl("https://help.example.com/"), null);
  assert.equal(registry.forUrl("https://help.example.com/", { genericEnabled: true }).name, "generic");
});

test("generic adapter uses the selection and the focused text area", () => {
  const doc = new JSDOM('<p id="m">Where is my order?</p><textarea id="t"></textarea>', { url: "https://help.example.com/" }).window.document;
  const range = doc.createRange();
  range.selectNodeContents(doc.getElementById("m"));
  doc.getSelection().addRange(range);
  assert.equal(generic.readMessage(doc, { selection: String(doc.getSelection()) }).text, "Where is my order?");
  doc.getElementById("t").focus();
  const box = generic.findCompose(doc);
  editors.forElement(box).insert(box, "Hello", null);
  assert.equal(editors.forElement(box).read(box), "Hello");
});

test("offsets map back to ranges in a contenteditable", () => {
  const doc = new JSDOM('<div id="c" contenteditable="true"><div>Hi 😀 Ana,</div><div>tset here</div></div>').window.document;
  const box = doc.getElementById("c");
  const draft = text.readText(box);
  assert.equal(draft, "Hi 😀 Ana,\ntset here");
  const at = draft.indexOf("tset");
  assert.equal(text.rangeFor(box, at, 4).toString(), "tset");
});

test("variables come from the sender and the agent profile", () => {
  const v = variables.buildVariables({ senderName: "Dana Miller", senderEmail: "dana@example.com", subject: "Order #48213 late" },
                                     { agentName: "Sam", companyName: "Acme" });
  assert.deepEqual(v.customer, { name: "Dana Miller", first_name: "Dana", email: "dana@example.com" });
  assert.equal(v.ticket.id, "48213");
  assert.deepEqual([v.agent.name, v.company.name], ["Sam", "Acme"]);
  assert.equal(variables.buildVariables({ senderName: "", senderEmail: "john.smith@example.com" }).customer.first_name, "John");
  assert.deepEqual(variables.findMarkers("Hi [customer.first_name], [agent.name]", ["agent.name", "customer.first_name"])
    .map((m) => m.name), ["customer.first_name", "agent.name"]);
  assert.equal(variables.editRatio("abc", "abc"), 0);
  assert.ok(variables.editRatio("hello world", "hello there") > 0.3);
});

test("an adapter activates by host, else by page signature on a site the agent switched on", () => {
  registry.clear();
  registry.register(gmail);
  registry.register(outlook);
  registry.register(generic);
  const owa = new JSDOM('<div id="owaRoot"><div aria-label="Reading Pane"></div></div>', { url: "https://mail.acme.example/owa/" }).window.document;
  assert.equal(registry.forPage(owa, owa.location.href, { genericEnabled: true }).name, "outlook");
  assert.equal(registry.forPage(owa, owa.location.href), null);
  const desk = new JSDOM("<textarea></textarea>", { url: "https://help.acme.example/" }).window.document;
  assert.equal(registry.forPage(desk, desk.location.href, { genericEnabled: true }).name, "generic");
  assert.equal(registry.forPage(desk, "https://mail.google.com/mail/u/0/").name, "gmail");
});

test("the manifest lists every content script once, and each feature has setup/destroy", () => {
  const manifest = JSON.parse(readFileSync(new URL("../manifest.json", import.meta.url), "utf8"));
  const files = manifest.content_scripts[0].js;
  assert.equal(new Set(files).size, files.length);
  for (const file of files) assert.ok(readFileSync(new URL(`../${file}`, import.meta.url), "utf8").length > 0, file);
  assert.deepEqual(files.slice(-1), ["content/main.js"]);
  for (const name of ["live-check", "suggestions", "shortcuts", "send-guard"]) {
    const feature = require(`../content/features/${name}.js`);
    assert.equal(typeof feature.setup, "function", name);
    assert.ok(files.includes(`content/features/${name}.js`), name);
  }
});

function dom(html, url = "https://example.com/") {
  return new JSDOM(html, { url }).window.document;
}

function outlookThread({ newestFirst, dates = true, composeAt = "none" }) {
  const message = (n, name, email, date, body, quoted = "") => `<div class="AvaBt" tabindex="-1"><div class="ZrX5s">
      <div aria-label="From: ${name}"><span title="${email}">${name}</span></div>${dates ? `<div class="AL_OM" title="${date}">${date}</div>` : ""}</div>
      <div aria-label="Message body" role="document"><div id="UniqueMessageBody_${n}"><div class="x_elementToProof">${body}</div>${quoted}</div></div></div>`;
  const quoted = '<div id="x_appendonsend"></div><hr style="display:inline-block;width:98%"><div id="x_divRplyFwdMsg"><b>From:</b> Sam</div><div>I reset your password.</div>';
  const items = [message(1, "Dana Miller", "dana@example.com", "Mon 11/23/2026 9:02 AM", "I cannot log in."),
                 message(2, "Sam Agent", "agent@acme.example", "Mon 11/23/2026 9:30 AM", "I reset your password."),
                 message(3, "Dana Miller", "dana@example.com", "Wed 11/25/2026 4:48 PM", "I was charged twice.", quoted)];
  if (newestFirst) items.reverse();
  const compose = '<div class="dMm6A"><div role="textbox" contenteditable="true" aria-label="Message body"><div><br></div><div id="appendonsend"></div><div id="divRplyFwdMsg">From: Dana</div><div>I was charged twice.</div></div><button aria-label="Send">Send</button></div>';
  const body = (composeAt === "top" ? compose : "") + items.join("") + (composeAt === "bottom" ? compose : "");
  return dom(`<div id="ReadingPaneContainerId"><div role="heading" aria-level="2">Login</div>${body}</div>`, "https://outlook.office.com/mail/");
}

test("outlook finds the customer's newest message in either order, without the x_ quoted history", () => {
  for (const newestFirst of [true, false]) {
    for (const [dates, composeAt] of [[true, "none"], [false, newestFirst ? "top" : "bottom"]]) {
      const message = outlook.readMessage(outlookThread({ newestFirst, dates, composeAt }), { ownEmail: "agent@acme.example" });
      assert.equal(message.text, "I was charged twice.", JSON.stringify({ newestFirst, dates, composeAt }));
      assert.equal(message.senderEmail, "dana@example.com");
    }
  }
  // the agent's own reply is skipped even without the configured address: the account shows it
  const doc = outlookThread({ newestFirst: false, dates: true });
  doc.body.insertAdjacentHTML("afterbegin", '<span id="mectrl_currentAccount_secondary">agent@acme.example</span>');
  assert.equal(outlook.readMessage(doc).text, "I was charged twice.");
});

test("outlook's Send of one compose finds that compose; its draft stops at the quoted history", () => {
  const doc = outlookThread({ newestFirst: true, composeAt: "top" });
  doc.body.insertAdjacentHTML("beforeend", '<div class="projection"><div role="textbox" contenteditable="true"><div>New draft</div></div><button aria-label="Отправить">Отправить</button></div>');
  const [reply, fresh] = doc.querySelectorAll('[role="textbox"][contenteditable="true"]');
  const buttons = doc.querySelectorAll("button");
  assert.equal(outlook.composeFor(buttons[0]), reply);
  assert.equal(outlook.composeFor(buttons[1]), fresh);
  reply.firstChild.textContent = "Hi Dana,";
  assert.equal(editors.forElement(reply).read(reply), "Hi Dana,");
});

test("gmail skips the agent's own message (account from the page), cuts quotes, knows a Russian Send", () => {
  const doc = dom(`<a href="https://accounts.google.com/SignOutOptions" aria-label="Аккаунт Google: Сэм (agent@acme.example)"></a>
    <h2 class="hP">Вход</h2>
    <div class="adn"><span class="gD" email="maria@example.ru" name="Мария">Мария</span><div class="a3s">С меня дважды списали деньги.<div class="gmail_quote">старое</div></div></div>
    <div class="adn"><span class="gD" email="agent@acme.example" name="Сэм">Сэм</span><div class="a3s">Пароль сброшен.</div></div>
    <div class="M9"><div g_editable="true" contenteditable="true" role="textbox"></div><div role="button" class="T-I aoO" data-tooltip="Отправить ‪(Ctrl+Enter)‬">Отправить</div>
      <div role="button" class="T-I hG" data-tooltip="Другие параметры отправки"></div></div>`, "https://mail.google.com/mail/u/0/");
  assert.equal(gmail.ownEmail(doc), "agent@acme.example");
  const message = gmail.readMessage(doc);
  assert.equal(message.text, "С меня дважды списали деньги.");
  assert.equal(message.senderName, "Мария");
  const compose = doc.querySelector("[g_editable]");
  assert.equal(gmail.composeFor(doc.querySelector(".aoO")), compose);
});

test("plain-text quoted history and a customer's name in a selection", () => {
  assert.equal(text.stripQuoted("Thanks!\n\nOn Mon, Nov 23, 2026 at 9:30 AM Sam <s@a.example> wrote:\n> old"), "Thanks!");
  assert.equal(text.stripQuoted("Спасибо!\n23.11.2026, Сэм пишет:\n> старое"), "Спасибо!");
  const doc = dom("<textarea></textarea>");
  const message = generic.readMessage(doc, { selection: "From: Ann Lee <ann@example.com>\nThe jacket is red, not blue." });
  assert.deepEqual([message.senderName, message.senderEmail, message.text], ["Ann Lee", "ann@example.com", "The jacket is red, not blue."]);
  assert.equal(generic.readMessage(doc, { selection: "Ann Lee wrote:\nIt broke." }).senderName, "Ann Lee");
});

test("a caret survives as offsets and a reply goes in at it, keeping the text around", () => {
  const doc = dom('<div id="c" contenteditable="true"><div>Hi Tom,</div><div><br></div><div>Best, Sam</div></div><textarea id="t">Hi Tom,\n\nBest, Sam</textarea>');
  const box = doc.getElementById("c");
  const plain = editors.forElement(box);
  assert.equal(plain.kind, "plain");
  const caret = { start: 8, end: 8 }; // the empty line
  const range = text.rangeFor(box, 8, 0);
  assert.ok(range && range.startContainer.nodeType === 1, "an empty line maps to the spot before its <br>");
  assert.deepEqual(text.offsetOf(box, range.startContainer, range.startOffset), 8);
  plain.insert(box, "Refunded.", caret);
  assert.equal(plain.read(box), "Hi Tom,\nRefunded.\nBest, Sam");
  const field = doc.getElementById("t");
  editors.forElement(field).insert(field, "Refunded.", { start: 8, end: 8 });
  assert.equal(field.value, "Hi Tom,\nRefunded.\nBest, Sam");
  const rich = dom('<div class="ProseMirror" contenteditable="true"><p>x</p></div>').querySelector(".ProseMirror");
  assert.equal(editors.forElement(rich).kind, "rich");
});

test("the panel is placed beside, below or above the editor, never over it", () => {
  const view = { width: 1280, height: 860 };
  const overlap = (a, r) => !(a.left + a.width <= r.left || r.right <= a.left || a.top + a.maxHeight <= r.top || r.bottom <= a.top);
  const rects = [[296, 590, 944, 818], [744, 516, 1264, 860], [0, 0, 1280, 400], [0, 460, 1280, 860], [20, 20, 1260, 840]];
  for (const [left, top, right, bottom] of rects) {
    const r = { left, top, right, bottom, width: right - left, height: bottom - top };
    const at = panel.placement(r, view);
    if (at.width >= 200 && at.maxHeight >= 120) assert.ok(!overlap(at, r), JSON.stringify({ r, at }));
  }
  assert.equal(panel.placement({ left: 296, top: 590, right: 744, bottom: 818 }, view).side, "right");
});

test("an Outlook reply popped out into its own window reads the quoted message below the draft", () => {
  const doc = dom(`<input aria-label="Add a subject" value="RE: Charged twice">
    <div role="textbox" contenteditable="true" aria-label="Message body"><div>Hi Dana,</div><div id="appendonsend"></div>
    <hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg"><b>From:</b> Dana Miller &lt;dana@example.com&gt;<br><b>Sent:</b> Wed 11/25/2026</div>
    <div>I was charged twice.</div><div><br></div><div id="x_divRplyFwdMsg"><b>From:</b> Sam</div><div>Older.</div></div>`, "https://outlook.office.com/mail/deeplink/compose");
  const message = outlook.readMessage(doc, { ownEmail: "agent@acme.example" });
  assert.deepEqual([message.senderName, message.senderEmail, message.subject, message.text], ["Dana Miller", "dana@example.com", "Charged twice", "I was charged twice."]);
});

test("a hostile message is read in linear time, and quotes and addresses are still found", () => {
  // Each of these held the page for seconds before: "^\s*" across 100,000 blank lines (30 s),
  // "[\w.+-]+@" over a 100,000-letter word in a selection (10 s).
  const runs = ["\n", " \n", "a", "a.", "-", "On ", "From: a\n", "x@y."];
  for (const run of runs) {
    const long = "Hi" + run.repeat(Math.floor(200000 / run.length)) + "x";
    const started = performance.now();
    text.stripQuoted(long);
    generic.readMessage(null, { selection: long });
    assert.ok(performance.now() - started < 2000, JSON.stringify(run));
  }
  // a message body holding 100,000 line breaks before its text: "\n+$" held the page 7 s
  const doc = page("gmail.html", "https://mail.google.com/mail/u/0/#inbox/1");
  doc.querySelector(".a3s").prepend(doc.createTextNode("\n".repeat(100000) + "x"));
  const started = performance.now();
  assert.ok(gmail.readMessage(doc).text.includes("charged twice"));
  assert.ok(performance.now() - started < 2000);
  const quoted = "Still broken.\n\n\n\nOn Mon, 3 Mar 2025, Ann Lee wrote:\n> it was broken";
  assert.equal(text.stripQuoted(quoted), "Still broken.");
  assert.equal(text.stripQuoted("Help\n-----Original Message-----\nFrom: x"), "Help");
  assert.equal(text.stripQuoted("Help\nFrom: Ann <a@b.c>\nSent: Monday\nold"), "Help");
  const message = generic.readMessage(null, { selection: "Ann Lee <ann.lee+shop@mail.example.co.uk>\nMy order is late." });
  assert.deepEqual([message.senderName, message.senderEmail], ["Ann Lee", "ann.lee+shop@mail.example.co.uk"]);
  assert.equal(generic.readMessage(null, { selection: "write to me at bob@example.com please" }).senderEmail, "bob@example.com");
  assert.equal(text.EMAIL.exec("x".repeat(70) + "@example.com"), null);  // longer than an address's 64
});

test("the edit ratio is exact for an edit in one place and never stalls Send", () => {
  const reply = "Hello Ann,\n\n" + "We have refunded your order. ".repeat(40) + "\n\nBest regards,\nSam";
  assert.equal(variables.editRatio(reply, reply), 0);
  assert.equal(variables.editRatio(reply, reply.replace("Ann", "Anna")), 1 / (reply.length + 1));
  assert.equal(variables.editRatio("", "abc"), 1);
  assert.equal(variables.editRatio("kitten", "sitting"), 3 / 7);
  const started = performance.now();
  const ratio = variables.editRatio("a".repeat(20000), "b".repeat(30000));
  assert.ok(performance.now() - started < 500 && ratio === 1);
});
