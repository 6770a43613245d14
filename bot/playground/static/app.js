// The playground's chat page: one pane per person, live from /_playground/chats (long poll).
"use strict";

const LANGS = { en: "English", hi: "हिंदी", mr: "मराठी" };
const COLORS = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];
const DEFAULT_PANES = [901, 900, 911];

const state = {
  people: new Map(),     // id -> persona
  open: [],              // ids of the open panes, in order
  panes: new Map(),      // id -> {el, rendered (json), toastsSeen}
  version: "",
  poller: null,          // AbortController of the running long poll
};

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch("/_playground/" + path, init);
  const answer = await response.json();
  if (!answer.ok) throw new Error(answer.description || "failed");
  return answer.result;
}

// ------------------------------------------------------------------ people and panes

async function loadPeople() {
  for (const p of await api("people")) state.people.set(p.user_id, p);
  renderPeople();
}

function renderPeople() {
  const nav = document.getElementById("people");
  nav.replaceChildren();
  for (const p of state.people.values()) {
    const b = document.createElement("button");
    b.className = "person" + (state.open.includes(p.user_id) ? " open" : "");
    b.dataset.user = p.user_id;
    b.title = `${p.note} · ${LANGS[p.language] || p.language} · id ${p.user_id}`;
    b.append(p.first_name + " ");
    const role = document.createElement("span");
    role.className = "role";
    role.textContent = p.role;
    b.append(role);
    b.onclick = () => togglePane(p.user_id);
    nav.append(b);
  }
  document.getElementById("hint").classList.toggle("hidden", state.open.length > 0);
}

function togglePane(id) {
  if (state.open.includes(id)) closePane(id); else openPane(id);
}

function openPane(id) {
  if (state.open.includes(id) || !state.people.has(id)) return;
  state.open.push(id);
  const el = buildPane(state.people.get(id));
  document.getElementById("panes").append(el);
  state.panes.set(id, { el, rendered: "", toastsSeen: null });
  saveOpen();
  renderPeople();
  el.scrollIntoView({ behavior: "smooth", inline: "nearest" });
  restartPolling();
}

function closePane(id) {
  state.open = state.open.filter((x) => x !== id);
  const pane = state.panes.get(id);
  if (pane) pane.el.remove();
  state.panes.delete(id);
  saveOpen();
  renderPeople();
  restartPolling();
}

function saveOpen() {
  history.replaceState(null, "", "#" + state.open.join(","));
}

function buildPane(person) {
  const el = document.getElementById("pane-template").content.firstElementChild.cloneNode(true);
  const id = person.user_id;
  el.dataset.user = id;
  const avatar = el.querySelector(".avatar");
  avatar.textContent = person.first_name.slice(0, 1);
  avatar.style.background = COLORS[id % COLORS.length];
  el.querySelector(".name").textContent = person.first_name;
  el.querySelector(".meta").textContent =
    `${person.role} · ${LANGS[person.language] || person.language} · ${person.note}`;
  el.querySelector(".close").onclick = () => closePane(id);

  const form = el.querySelector(".composer");
  const input = form.querySelector("textarea");
  form.onsubmit = (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    act(id, { action: "text", text });
  };
  input.onkeydown = (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  };
  const menu = el.querySelector(".attach-menu");
  el.querySelector(".attach").onclick = () => { menu.hidden = !menu.hidden; };
  el.querySelector(".share-contact").textContent = `📱 Share my number (${person.phone})`;
  el.querySelector(".share-contact").onclick = () => {
    menu.hidden = true;
    act(id, { action: "contact", phone_number: person.phone });
  };
  el.querySelector(".lat").value = person.latitude;
  el.querySelector(".lon").value = person.longitude;
  el.querySelector(".share-location").onclick = () => {
    menu.hidden = true;
    act(id, { action: "location", latitude: el.querySelector(".lat").value,
              longitude: el.querySelector(".lon").value });
  };
  el.querySelector(".file").onchange = async (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    menu.hidden = true;
    if (file) await sendFile(id, file);
  };
  el.querySelector(".block").onclick = () => {
    menu.hidden = true;
    act(id, { action: el.dataset.blocked === "1" ? "unblock" : "block" });
  };
  el.querySelector(".kbd-toggle").onclick = () => {
    el.querySelector(".keyboard").classList.toggle("collapsed");
  };
  return el;
}

async function sendFile(id, file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  await act(id, { action: "document", file_name: file.name, mime_type: file.type || "",
                  content_base64: btoa(binary) });
}

async function act(id, body) {
  try {
    await api("act", { user_id: id, ...body });
  } catch (error) {
    toast(id, { text: "⚠️ " + error.message, alert: false });
  }
}

// ------------------------------------------------------------------ live updates

function restartPolling() {
  if (state.poller) state.poller.abort();
  state.version = "";
  poll();
}

async function poll() {
  const controller = new AbortController();
  state.poller = controller;
  while (!controller.signal.aborted) {
    if (!state.open.length) return;
    try {
      const q = `chats?ids=${state.open.join(",")}&since=${state.version}`;
      const response = await fetch("/_playground/" + q, { signal: controller.signal });
      const answer = await response.json();
      if (controller.signal.aborted) return;
      state.version = answer.result.version;
      for (const [id, chat] of Object.entries(answer.result.chats)) renderChat(Number(id), chat);
      document.body.dataset.version = state.version;
    } catch (error) {
      if (controller.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, 1000));  // server restarting
    }
  }
}

function renderChat(id, chat) {
  const pane = state.panes.get(id);
  if (!pane) return;
  const json = JSON.stringify([chat.messages, chat.keyboard, chat.blocked]);
  if (json !== pane.rendered) {
    pane.rendered = json;
    const box = pane.el.querySelector(".messages");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
    box.replaceChildren(...renderMessages(id, chat));
    if (atBottom || !box.dataset.seen) box.scrollTop = box.scrollHeight;
    box.dataset.seen = "1";
    renderKeyboard(pane.el, id, chat.keyboard);
    pane.el.dataset.blocked = chat.blocked ? "1" : "";
    pane.el.querySelector(".block").textContent =
      chat.blocked ? "✅ Unblock the bot" : "🚫 Block the bot";
  }
  const seen = pane.toastsSeen;
  pane.toastsSeen = new Set(chat.toasts.map((t) => t.id));
  if (seen) for (const t of chat.toasts) if (!seen.has(t.id)) toast(id, t);
}

function renderMessages(id, chat) {
  if (!chat.messages.length) {
    const start = document.createElement("button");
    start.className = "start";
    start.textContent = "START";
    start.onclick = () => act(id, { action: "text", text: "/start" });
    return [start];
  }
  const out = chat.messages.map((m) => renderMessage(id, m));
  if (chat.blocked) {
    const note = document.createElement("div");
    note.className = "blocked";
    note.textContent = "🚫 blocked: the bot's messages to this person fail (403)";
    out.push(note);
  }
  return out;
}

function renderMessage(id, m) {
  const wrap = document.createElement("div");
  wrap.className = `msg ${m.from}`;
  wrap.dataset.id = m.id;
  const bubble = document.createElement("div");
  bubble.className = "bubble " + m.kind;
  if (m.photo) {
    const box = document.createElement("div");
    box.className = "photo";
    const img = document.createElement("img");
    img.src = m.photo.url;
    img.alt = m.caption || "photo";
    if (m.photo.width) { img.width = m.photo.width; img.height = m.photo.height; }
    img.style.height = "auto";
    box.append(img);
    bubble.append(box);
  }
  if (m.location) bubble.append(renderMap(m.location));
  if (m.document) {
    const doc = document.createElement("div");
    doc.className = "doc";
    doc.innerHTML = '<span class="icon">📄</span>';
    const link = document.createElement("a");
    link.textContent = m.document.file_name;
    if (m.document.url) { link.href = m.document.url; link.download = m.document.file_name; }
    doc.append(link);
    bubble.append(doc);
  }
  if (m.contact) {
    const c = document.createElement("div");
    c.textContent = `👤 ${m.contact.first_name}\n${m.contact.phone_number}`;
    bubble.append(c);
  }
  const text = m.text ?? m.caption;
  const entities = m.text != null ? m.entities : m.caption_entities;
  if (text) {
    const body = document.createElement("div");
    body.className = "text";
    renderEntities(body, id, text, entities || []);
    bubble.append(body);
  }
  const stamp = document.createElement("span");
  stamp.className = "stamp";
  const time = new Date(m.date * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  stamp.textContent = (m.edited ? "edited " : "") + time;
  bubble.append(stamp);
  wrap.append(bubble);
  if (m.buttons && m.buttons.length) wrap.append(renderInlineKeyboard(id, m));
  return wrap;
}

function renderMap(location) {
  const map = document.createElement("a");
  map.className = "map";
  map.title = "map pin";
  map.href = `https://www.openstreetmap.org/?mlat=${location.latitude}&mlon=${location.longitude}#map=17/${location.latitude}/${location.longitude}`;
  map.target = "_blank";
  map.rel = "noopener";
  map.innerHTML = '<span class="pin">📍</span><span class="coords"></span>';
  map.querySelector(".coords").textContent =
    `${Number(location.latitude).toFixed(5)}, ${Number(location.longitude).toFixed(5)}`;
  return map;
}

function renderInlineKeyboard(id, m) {
  const kb = document.createElement("div");
  kb.className = "inline-kb";
  for (const row of m.buttons) {
    const r = document.createElement("div");
    r.className = "inline-row";
    for (const b of row) {
      const btn = document.createElement("button");
      btn.className = "ibtn" + (b.url ? " url" : "");
      btn.textContent = b.text;
      if (b.callback_data) {
        btn.onclick = () => act(id, { action: "press", message_id: m.id, data: b.callback_data });
      } else if (b.url) {
        btn.onclick = () => openLink(id, b.url);
      }
      r.append(btn);
    }
    kb.append(r);
  }
  return kb;
}

function renderKeyboard(el, id, keyboard) {
  const box = el.querySelector(".keyboard");
  const toggle = el.querySelector(".kbd-toggle");
  const input = el.querySelector("textarea");
  box.replaceChildren();
  toggle.hidden = !keyboard;
  input.placeholder = (keyboard && keyboard.placeholder) || "Message";
  if (!keyboard) return;
  box.classList.toggle("collapsed", keyboard.collapsed);
  for (const row of keyboard.rows) {
    const r = document.createElement("div");
    r.className = "kb-row";
    for (const b of row) {
      const btn = document.createElement("button");
      btn.className = "kbtn";
      btn.textContent = b.text;
      const person = state.people.get(id);
      if (b.request_contact) {
        btn.onclick = () => act(id, { action: "contact", phone_number: person.phone });
      } else if (b.request_location) {
        btn.onclick = () => act(id, { action: "location", latitude: person.latitude,
                                      longitude: person.longitude });
      } else {
        btn.onclick = () => act(id, { action: "text", text: b.text });
      }
      r.append(btn);
    }
    box.append(r);
  }
}

function toast(id, t) {
  const pane = state.panes.get(id);
  if (!pane) return;
  const el = document.createElement("div");
  el.className = "toast" + (t.alert ? " alert" : "");
  el.textContent = t.text;
  pane.el.querySelector(".toasts").append(el);
  if (t.alert) el.onclick = () => el.remove();
  else setTimeout(() => el.remove(), 2500);
}

// A t.me link to the bot with ?start=...: open it as someone in the playground (like an SMS).
function openLink(id, url) {
  const match = /^https?:\/\/t\.me\/[A-Za-z0-9_]+\?start=([A-Za-z0-9_-]+)/.exec(url);
  if (!match) { window.open(url, "_blank", "noopener"); return; }
  const names = [...state.people.values()].map((p) => `${p.user_id} = ${p.first_name}`);
  const answer = window.prompt(`Open this link as who?\n${names.join("\n")}`, String(id));
  const who = Number(answer);
  if (!state.people.has(who)) return;
  openPane(who);
  act(who, { action: "text", text: `/start ${match[1]}` });
}

// ------------------------------------------------------------------ formatted text

// Telegram entities (UTF-16 offsets, like JavaScript strings) → DOM, nested as given.
function renderEntities(parent, id, text, entities) {
  const sorted = [...entities].sort((a, b) => a.offset - b.offset || b.length - a.length);
  build(parent, id, text, 0, text.length, sorted, false);
}

function build(parent, id, text, start, end, ents, literal) {
  let pos = start;
  let i = 0;
  while (i < ents.length) {
    const e = ents[i];
    const eStart = Math.max(e.offset, pos);
    const eEnd = Math.min(e.offset + e.length, end);
    const children = [];
    let j = i + 1;
    while (j < ents.length && ents[j].offset < e.offset + e.length) children.push(ents[j++]);
    i = j;
    if (eEnd <= eStart) continue;
    if (eStart > pos) plain(parent, id, text.slice(pos, eStart), literal);
    const el = elementFor(e, text.slice(eStart, eEnd));
    const code = literal || ["code", "pre", "url", "text_link"].includes(e.type);
    build(el, id, text, eStart, eEnd, children, code);
    parent.append(el);
    pos = eEnd;
  }
  if (pos < end) plain(parent, id, text.slice(pos, end), literal);
}

function elementFor(e, content) {
  const tags = { bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code",
                 pre: "pre", blockquote: "blockquote", expandable_blockquote: "blockquote" };
  if (tags[e.type]) return document.createElement(tags[e.type]);
  if (e.type === "text_link" || e.type === "url") {
    const a = document.createElement("a");
    a.href = e.type === "url" ? content : e.url;
    a.target = "_blank";
    a.rel = "noopener";
    return a;
  }
  if (e.type === "spoiler") {
    const s = document.createElement("span");
    s.className = "spoiler";
    s.onclick = () => s.classList.add("shown");
    return s;
  }
  return document.createElement("span");
}

// Plain text: /commands are tappable (they send the command), links open, as in Telegram.
function plain(parent, id, text, literal) {
  if (literal) { parent.append(text); return; }
  const pattern = /(^|[\s(])(\/[a-z][a-z0-9_]{0,31})(?![\w/])|(https?:\/\/[^\s<>"]+)/g;
  let last = 0;
  let m;
  while ((m = pattern.exec(text)) !== null) {
    if (m[2]) {
      const at = m.index + m[1].length;
      parent.append(text.slice(last, at));
      const cmd = document.createElement("span");
      cmd.className = "cmd";
      const command = m[2];
      cmd.textContent = command;
      cmd.onclick = () => act(id, { action: "text", text: command });
      parent.append(cmd);
      last = at + m[2].length;
    } else {
      parent.append(text.slice(last, m.index));
      const a = document.createElement("a");
      const url = m[3];
      a.textContent = url;
      a.href = url;
      a.onclick = (event) => { event.preventDefault(); openLink(id, url); };
      parent.append(a);
      last = m.index + m[3].length;
    }
  }
  parent.append(text.slice(last));
}

// ------------------------------------------------------------------ start

document.getElementById("new-person").onsubmit = async (event) => {
  event.preventDefault();
  const form = event.target;
  const person = await api("people", { first_name: form.first_name.value,
                                       language: form.language.value });
  state.people.set(person.user_id, person);
  form.reset();
  form.closest("details").open = false;
  openPane(person.user_id);
};

// Links like /#911,901 choose the open panes (also when only the hash changes).
function panesFromHash() {
  return location.hash.slice(1).split(",").map(Number).filter((n) => state.people.has(n));
}

window.addEventListener("hashchange", () => {
  const wanted = panesFromHash();
  if (wanted.join(",") === state.open.join(",")) return;
  for (const id of [...state.open]) if (!wanted.includes(id)) closePane(id);
  for (const id of wanted) openPane(id);
});

(async function main() {
  await loadPeople();
  const fromHash = panesFromHash();
  for (const id of fromHash.length ? fromHash : DEFAULT_PANES) openPane(id);
  renderPeople();
})();
