"""The board's HTML: one self-contained page (inline CSS and JS, no external assets, no build step).

The page loads each doctor's public board data, then listens to the SSE feed; any event for a doctor
reloads that doctor's card, a ``token.called`` event shows the new number at once. Text goes in with
``textContent`` only.
"""

import html
from typing import Any

from shared.codec import dumps

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OPD board: __TITLE__</title>
<style>
  :root { color-scheme: dark; }
  * { box-sizing: border-box; }
  body { margin: 0; background: #000; color: #fff; font-family: system-ui, "Segoe UI", Roboto, sans-serif; }
  header { display: flex; justify-content: space-between; align-items: baseline; padding: 1.5vh 2vw;
           border-bottom: 0.4vh solid #ffd500; font-size: 3.2vh; }
  #clock { font-variant-numeric: tabular-nums; font-weight: 700; }
  #state { font-size: 2.2vh; color: #ffd500; }
  main { display: grid; gap: 2vh 2vw; padding: 2vh 2vw;
         grid-template-columns: repeat(auto-fit, minmax(32rem, 1fr)); }
  .card { border: 0.3vh solid #555; border-radius: 1vh; padding: 1.5vh 1.5vw; background: #111; }
  .doctor { font-size: 3.6vh; font-weight: 700; }
  .room { font-size: 2.6vh; color: #ccc; }
  .label { font-size: 2.4vh; text-transform: uppercase; letter-spacing: 0.1em; color: #ffd500; margin-top: 1.5vh; }
  .serving { font-size: 14vh; font-weight: 900; line-height: 1; font-variant-numeric: tabular-nums; }
  .serving.fresh { animation: flash 1s ease-in-out 3; }
  @keyframes flash { 50% { color: #000; background: #ffd500; } }
  ol { list-style: none; margin: 0; padding: 0; }
  li { display: flex; justify-content: space-between; font-size: 5vh; font-weight: 700; padding: 0.5vh 0;
       border-bottom: 0.2vh solid #333; font-variant-numeric: tabular-nums; }
  li .eta { color: #9fe870; }
  li.here .num::after { content: " \\2713"; color: #9fe870; }
  .note { font-size: 2.6vh; color: #ff8a80; min-height: 3vh; }
  .muted { color: #aaa; font-size: 3vh; }
</style>
</head>
<body>
<header><div id="title">__TITLE__</div><div id="state">connecting…</div><div id="clock"></div></header>
<main id="board"></main>
<template id="card">
  <section class="card">
    <div class="doctor"></div><div class="room"></div>
    <div class="label">Now serving</div><div class="serving">—</div>
    <div class="note"></div>
    <div class="label">Next</div><ol class="next"></ol>
    <div class="muted waiting"></div>
  </section>
</template>
<script id="config" type="application/json">__CONFIG__</script>
<script>
"use strict";
const config = JSON.parse(document.getElementById("config").textContent);
const cards = new Map();
const pending = new Map();
const time = (iso) => iso ? new Date(iso).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"}) : "";

function card(doctor) {
  const node = document.getElementById("card").content.firstElementChild.cloneNode(true);
  node.dataset.doctorId = doctor.id;
  node.querySelector(".doctor").textContent = doctor.name;
  node.querySelector(".room").textContent = doctor.room ? "Room " + doctor.room : doctor.specialization;
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
  showServing(node, data.nowServing ? data.nowServing.shortNumber : "—");
  node.querySelector(".note").textContent = data.delayMinutes ? "Running " + data.delayMinutes + " min late" : "";
  const list = node.querySelector(".next");
  list.replaceChildren(...data.next.map((token) => {
    const item = document.createElement("li");
    if (token.checkedIn) item.className = "here";
    const num = document.createElement("span");
    num.className = "num";
    num.textContent = token.shortNumber;
    const eta = document.createElement("span");
    eta.className = "eta";
    eta.textContent = time(token.estimatedTime);
    item.append(num, eta);
    return item;
  }));
  const more = data.waiting - data.next.length;
  const waitlist = data.waitlist.length ? "  · waitlist " + data.waitlist.length : "";
  node.querySelector(".waiting").textContent = (more > 0 ? "+" + more + " more waiting" : "") + waitlist;
}

async function load(doctorId) {
  try {
    const response = await fetch("/api/doctors/" + doctorId + "/board", {cache: "no-store"});
    if (response.ok) render(doctorId, await response.json());
  } catch (e) { /* the next event or reconnect reloads */ }
}

function reload(doctorId, delay) {
  clearTimeout(pending.get(doctorId));
  pending.set(doctorId, setTimeout(() => load(doctorId), delay));
}

const loadAll = () => config.doctors.forEach((d) => load(d.id));

function listen() {
  const ids = config.doctors.map((d) => d.id).join(",");
  const state = document.getElementById("state");
  const source = new EventSource("/api/events/stream?doctorId=" + ids);
  source.onopen = () => { state.textContent = ""; loadAll(); };
  source.onerror = () => {
    state.textContent = "reconnecting…";
    if (source.readyState === EventSource.CLOSED) setTimeout(listen, 5000);
  };
  source.onmessage = () => loadAll();
  source.addEventListener("resync", loadAll);
  for (const type of config.types) {
    source.addEventListener(type, (message) => {
      const event = JSON.parse(message.data);
      const node = cards.get(event.doctorId);
      if (type === "token.called" && node && event.token) showServing(node, event.token.shortNumber);
      reload(event.doctorId, 150);
    });
  }
}

const tick = () => { document.getElementById("clock").textContent = new Date().toLocaleTimeString(); };
config.doctors.forEach(card);
loadAll();
listen();
tick();
setInterval(tick, 1000);
setInterval(loadAll, 60000);
</script>
</body>
</html>
"""


def render(title: str, doctors: list[dict[str, Any]], types: list[str]) -> str:
    """The page for these doctors (public fields only); the config JSON is safe inside a script element."""
    config = dumps({"doctors": doctors, "types": types}).decode().replace("<", "\\u003c").replace(">", "\\u003e")
    return _PAGE.replace("__TITLE__", html.escape(title)).replace("__CONFIG__", config)
