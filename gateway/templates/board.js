"use strict";
const config = JSON.parse(document.getElementById("config").textContent);
const cards = new Map();
const pending = new Map();
const state = document.getElementById("state");
const clockFormats = config.locales.map((locale, i) => new Intl.DateTimeFormat(locale, {
  timeZone: config.zone, hour: "numeric", minute: "2-digit", ...(config.dayPeriods[i] ? {dayPeriod: "short"} : {}),
}));
const STALE_AFTER_MS = 90 * 1000;  // a full reload runs every minute
let lastUpdate = null;  // when every doctor's data last loaded
let connected = false;

// The hospital's clock, whatever the TV's time zone, as the first language writes it (or the i-th: in a label).
const clock = (instant, i = 0) => clockFormats[i].format(instant);
// A token as the hall calls it: the doctor's code and the short number (D3-T007), never confused between doctors.
const hallNumber = (token) => {
  const parts = token.tokenNumber.split("-");
  return parts[0] + "-" + parts[parts.length - 1];
};

function label(key, values) {
  const fragment = document.createDocumentFragment();
  config.labels[key].forEach((text, i) => {
    const span = document.createElement("span");
    span.lang = config.languages[i];
    const value = (name) => typeof values[name] === "function" ? values[name](i) : values[name];
    span.textContent = text.replace(/\{(\w+)\}/g, (_, name) => values && name in values ? value(name) : "");
    fragment.append(span);
  });
  return fragment;
}

function card(doctor) {
  const node = document.getElementById("card").content.firstElementChild.cloneNode(true);
  node.dataset.doctorId = doctor.id;
  node.querySelector(".code").textContent = doctor.code || "";
  node.querySelector(".doctor").textContent = doctor.name;
  const room = node.querySelector(".room");
  if (doctor.room) room.append(label("room", {room: doctor.room}));
  room.append(" · " + doctor.specialization);
  document.getElementById("board").appendChild(node);
  cards.set(doctor.id, node);
}

function showServing(node, number) {
  const serving = node.querySelector(".serving");
  if (serving.textContent !== number) {
    serving.textContent = number;
    serving.classList.remove("fresh");
    void serving.offsetWidth;
    if (number !== "—") serving.classList.add("fresh");
  }
}

function render(doctorId, data) {
  const node = cards.get(doctorId);
  if (!node) return;
  showServing(node, data.nowServing ? hallNumber(data.nowServing) : "—");
  const waiting = data.next.length > 0;
  // A delay shows as the new times in the list; the note only says that they are new.
  node.querySelector(".note").replaceChildren(data.delayMinutes && waiting ? label("late") : "");
  node.querySelector(".upcoming").hidden = !waiting;
  node.querySelector(".empty").replaceChildren(waiting || data.nowServing ? "" : label("empty"));
  node.querySelector(".next").replaceChildren(...data.next.map((token) => {
    const item = document.createElement("li");
    if (token.checkedIn) item.className = "here";
    const num = document.createElement("span");
    num.className = "num";
    num.textContent = hallNumber(token);
    const eta = document.createElement("span");
    eta.className = "eta";
    eta.textContent = token.estimatedTime ? clock(new Date(token.estimatedTime)) : "";
    item.append(num, eta);
    return item;
  }));
  const more = node.querySelector(".more");
  more.replaceChildren();
  if (data.waiting > data.next.length) more.append(label("more", {count: data.waiting - data.next.length}));
  if (data.waitlist.length) more.append(" · ", label("waitlist", {count: data.waitlist.length}));
}

async function load(doctorId) {
  const response = await fetch("/api/doctors/" + doctorId + "/board", {cache: "no-store"});
  if (!response.ok) throw new Error("HTTP " + response.status);
  render(doctorId, await response.json());
}

async function loadAll() {
  try {
    await Promise.all(config.doctors.map((d) => load(d.id)));
    lastUpdate = new Date();
  } catch (e) {
    // keep showing the last good data; showState marks it stale
  }
  showState();
}

function reload(doctorId, delay) {
  clearTimeout(pending.get(doctorId));
  pending.set(doctorId, setTimeout(() => load(doctorId).then(() => { lastUpdate = new Date(); showState(); },
                                                               () => showState()), delay));
}

// Stale when the feed is down or nothing loaded for a while.
function showState() {
  const stale = !connected || !lastUpdate || Date.now() - lastUpdate.getTime() > STALE_AFTER_MS;
  document.body.classList.toggle("stale", stale);
  state.replaceChildren();
  if (stale) state.append(label("reconnecting"), " ");
  if (lastUpdate) state.append(label("updated", {time: (i) => clock(lastUpdate, i)}));
}

function listen() {
  const ids = config.doctors.map((d) => d.id).join(",");
  const source = new EventSource("/api/events/stream?doctorId=" + ids);
  source.onopen = () => { connected = true; loadAll(); };
  source.onerror = () => {
    connected = false;
    showState();
    if (source.readyState === EventSource.CLOSED) setTimeout(listen, 5000);
  };
  source.onmessage = () => loadAll();
  source.addEventListener("resync", loadAll);
  for (const type of config.types) {
    source.addEventListener(type, (message) => {
      const event = JSON.parse(message.data);
      const node = cards.get(event.doctorId);
      if (type === "token.called" && node && event.token) showServing(node, hallNumber(event.token));
      reload(event.doctorId, 150);
    });
  }
}

// Pages: every doctor is shown within one rotation; pages are balanced (8 doctors at 6 a page: 4 and 4).
const pageCount = Math.max(1, Math.ceil(config.doctors.length / config.pageSize));
const perPage = Math.ceil(config.doctors.length / pageCount);
let page = 0;
function showPage() {
  config.doctors.forEach((doctor, i) => { cards.get(doctor.id).hidden = Math.floor(i / perPage) !== page; });
  const columns = perPage <= 1 ? 1 : perPage <= 4 ? 2 : 3;
  document.getElementById("board").style.setProperty("--columns", String(Math.min(columns, perPage)));
  document.getElementById("pages").textContent = pageCount > 1 ? (page + 1) + " / " + pageCount : "";
}

const tick = () => { document.getElementById("clock").textContent = clock(new Date()); showState(); };
config.doctors.forEach(card);
showPage();
if (pageCount > 1) setInterval(() => { page = (page + 1) % pageCount; showPage(); }, config.pageSeconds * 1000);
loadAll();
listen();
tick();
setInterval(tick, 1000);
setInterval(loadAll, 60 * 1000);
