// trapline review: three queues, keyboard first, decisions autosaved in the
// browser and exported as the decisions CSV the identify rule reads.
// Every name from the data is set as text (textContent), never as markup.
"use strict";

(function () {
  const DATA = window.TRAPLINE_REVIEW;
  const COLUMNS = DATA.columns;
  const STORE = "trapline-review-" + DATA.review_id;
  const QUEUES = [
    { id: "flanks", title: "Flank links" },
    { id: "animals", title: "New animals" },
    { id: "matches", title: "Uncertain matches" },
  ];
  const KEYS = {
    all: [
      ["→ / j", "next item"], ["← / k", "previous item"], ["t", "next queue"],
      ["z", "undo the last decision"], ["e", "save the decisions file"],
      ["click an image", "zoom (Esc closes)"], ["?", "these keys"],
    ],
    flanks: [["y", "one animal: link the two flanks"], ["n", "two animals: never propose again"], ["u", "unsure: skip"]],
    animals: [
      ["c", "confirm: every crop is this animal"], ["1–9 or click", "select crops (split)"],
      ["s", "split the selected crops' passages off (a name, or an existing identity)"],
      ["m", "merge with another identity"], ["r", "name this animal"], ["a", "show all crops"], ["u", "unsure: skip"],
    ],
    matches: [
      ["1–3", "it is this candidate"], ["n", "none of the candidates"], ["a", "show the whole track"], ["u", "unsure: skip"],
    ],
  };

  // --- state -------------------------------------------------------------
  let state = load() || { decisions: [], queue: "flanks", position: { flanks: 0, animals: 0, matches: 0 } };
  let selected = new Set();
  let showAll = false;

  function load() {
    try {
      const text = window.localStorage.getItem(STORE);
      return text ? JSON.parse(text) : null;
    } catch (e) {
      return null;
    }
  }
  function save() {
    try {
      window.localStorage.setItem(STORE, JSON.stringify(state));
    } catch (e) {
      /* private mode: decisions live until the page closes; export saves them */
    }
  }

  function allLines() {
    const lines = DATA.previous.slice();
    for (const d of state.decisions) lines.push(...d.lines);
    return lines;
  }

  function line(fields) {
    const out = {};
    for (const c of COLUMNS) out[c] = fields[c] || "";
    return out;
  }

  function decide(item, lines, label) {
    state.decisions = state.decisions.filter((d) => d.key !== item.key);
    state.decisions.push({ key: item.key, label: label, lines: lines });
    selected = new Set();
    showAll = false;
    save();
    next();
  }

  function decisionOf(item) {
    return state.decisions.find((d) => d.key === item.key) || covered(item);
  }

  // An item counts as decided when an earlier file (previous run or loaded)
  // already holds its decision.
  function covered(item) {
    const lines = DATA.previous.concat(
      ...state.decisions.filter((d) => d.key === "file").map((d) => d.lines)
    );
    const hit = lines.find((l) => {
      if (item.key.startsWith("match:")) return l.crop_id === item.crop;
      if (item.key.startsWith("flank:")) {
        const pair = [l.proposed_individual, l.other_individual].sort().join("+");
        return (l.decision === "merge" || l.decision === "distinct") &&
          pair === [item.left, item.right].sort().join("+");
      }
      return (l.proposed_individual === item.individual &&
        ["merge", "name", "same"].includes(l.decision) && !l.crop_id) ||
        (l.proposed_individual === item.individual && l.decision === "same" && l.crop_id);
    });
    return hit ? { key: item.key, label: "in the loaded file", lines: [] } : null;
  }

  // --- navigation ----------------------------------------------------------
  function items() { return DATA.queues[state.queue]; }
  function current() { return items()[state.position[state.queue]]; }
  function move(step) {
    const n = items().length;
    if (!n) return;
    state.position[state.queue] = Math.min(n - 1, Math.max(0, state.position[state.queue] + step));
    selected = new Set();
    showAll = false;
    save();
    render();
  }
  function next() {
    // The next undecided item of this queue, else the next queue with one.
    const list = items();
    for (let k = state.position[state.queue] + 1; k < list.length; k++) {
      if (!decisionOf(list[k])) { state.position[state.queue] = k; render(); return; }
    }
    for (let k = 0; k < list.length; k++) {
      if (!decisionOf(list[k])) { state.position[state.queue] = k; render(); return; }
    }
    render();
  }
  function switchQueue(id) {
    state.queue = id;
    selected = new Set();
    showAll = false;
    save();
    render();
  }

  // --- rendering -------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c != null) node.append(c);
    return node;
  }

  function picture(src, caption, opts) {
    opts = opts || {};
    const fig = el("figure", { class: opts.small ? "small" : "" });
    if (src) {
      const img = el("img", { src: src, alt: caption, loading: "lazy" });
      img.addEventListener("click", (ev) => {
        if (opts.onselect && !ev.shiftKey) { opts.onselect(); return; }
        zoom(src);
      });
      img.addEventListener("dblclick", () => zoom(src));
      fig.append(img);
    } else {
      fig.append(el("div", { class: "empty", text: "(no image)" }));
    }
    if (opts.badge) fig.append(el("span", { class: "badge", text: opts.badge }));
    fig.append(el("figcaption", { text: caption }));
    if (opts.selected) fig.classList.add("selected");
    return fig;
  }

  function cropFigure(id, opts) {
    const c = DATA.crops[id];
    if (!c) return picture(null, id, opts);
    const when = c.datetime.replace("T", " ").slice(0, 16);
    return picture(c.img, `${c.station} · ${c.camera} · ${when} · ${c.flank}`, opts);
  }

  function refFigure(id, opts) {
    const r = DATA.refs[id];
    if (!r) return picture(null, id, opts);
    return picture(r.img, `${r.individual} · ${r.flank} (catalogue)`, opts);
  }

  function render() {
    renderTabs();
    const box = document.getElementById("item");
    box.replaceChildren();
    const list = items();
    const done = list.filter(decisionOf).length;
    document.getElementById("progress").textContent =
      `${QUEUES.find((q) => q.id === state.queue).title}: ${done} of ${list.length} decided` +
      (list.length ? ` · item ${state.position[state.queue] + 1} of ${list.length}` : "");
    const item = current();
    if (!item) {
      box.append(el("p", { class: "empty", text: "Nothing to review in this queue." }));
    } else if (state.queue === "flanks") renderFlank(box, item);
    else if (state.queue === "animals") renderAnimal(box, item);
    else renderMatch(box, item);
    renderKeys();
  }

  function renderTabs() {
    const nav = document.getElementById("tabs");
    nav.replaceChildren();
    for (const q of QUEUES) {
      const list = DATA.queues[q.id];
      const open = list.filter((i) => !decisionOf(i)).length;
      const button = el("button", {
        type: "button", "data-queue": q.id, text: `${q.title} (${open})`,
        onclick: () => switchQueue(q.id),
      });
      button.setAttribute("aria-current", String(q.id === state.queue));
      nav.append(button);
    }
  }

  function head(box, title, item) {
    const decision = decisionOf(item);
    const status = el("span", {
      class: "status" + (decision ? " done" : ""),
      text: decision ? "decided: " + decision.label : "open",
    });
    box.append(el("div", { class: "item-head" }, el("h2", { text: title }), status));
  }

  function renderFlank(box, item) {
    head(box, `${item.left} (left) and ${item.right} (right): one animal?`, item);
    box.append(el("ul", { class: "evidence" }, ...item.evidence.map((e) => el("li", { text: e }))));
    const side = (name, crops, flank) => el("div", { class: "panel" },
      el("h3", { text: `${name} · ${flank} flank · ${DATA.individuals[name] ? DATA.individuals[name].n_crops : "?"} crops` }),
      el("div", { class: "strip" }, ...crops.map((c) => cropFigure(c))));
    box.append(el("div", { class: "row" }, side(item.left, item.left_crops, "left"), side(item.right, item.right_crops, "right")));
  }

  function renderAnimal(box, item) {
    head(box, `${item.individual}: ${item.n_crops} crops in ${item.n_tracks} passages`, item);
    const flanks = Object.entries(item.flanks).map(([k, v]) => `${k} ${v}`).join(", ");
    box.append(el("p", { text: `stations ${item.stations.join(", ")} · ${(item.first || "").slice(0, 10)} to ${(item.last || "").slice(0, 10)} · flanks: ${flanks}` }));
    const shown = showAll ? item.all_crops.filter((c) => DATA.crops[c]) : item.crops;
    const strip = el("div", { class: "strip" });
    shown.forEach((c, k) => strip.append(cropFigure(c, {
      badge: k < 9 ? String(k + 1) : null,
      selected: selected.has(c),
      onselect: () => { toggle(c); },
    })));
    box.append(el("div", { class: "panel" }, strip));
    if (selected.size) box.append(el("p", { text: `${selected.size} crop(s) selected: s splits them off, each with its passage` }));
    if (item.lookalikes.length) {
      const row = el("div", { class: "row" });
      for (const look of item.lookalikes) {
        const who = DATA.individuals[look.individual] || {};
        const fig = look.crop ? cropFigure(look.crop, { small: true }) : refFigure(look.ref || who.ref, { small: true });
        row.append(el("div", { class: "panel" },
          el("h3", { text: `${look.individual} · ${look.inliers} inliers · ${who.n_crops || 0} crops` + (who.is_new ? "" : " · catalogue") }), fig));
      }
      box.append(el("h3", { text: "Looks most like (m merges; the first is proposed)" }), row);
    }
  }

  function renderMatch(box, item) {
    const call = item.is_new ? "a new animal" : item.call;
    head(box, `Is this ${call}? (machine: p=${item.score})`, item);
    const query = el("div", { class: "panel" }, el("h3", { text: `crop (track of ${item.n_track_crops}` + (item.all_track_crops.length > item.track_crops.length ? (showAll ? "; a: fewer)" : "; a: all)") : ")") }),
      el("div", { class: "strip" }, cropFigure(item.crop),
        ...(showAll ? item.all_track_crops : item.track_crops).filter((c) => DATA.crops[c]).map((c) => cropFigure(c, { small: true }))));
    const row = el("div", { class: "row" }, query);
    item.candidates.forEach((cand, k) => {
      const refs = [cand.ref, ...(DATA.catalogue_refs[cand.individual] || []).filter((r) => r !== cand.ref)].slice(0, 4);
      const seen = DATA.individuals[cand.individual];
      row.append(el("div", { class: "panel candidate" },
        el("h3", {}, el("span", { class: "key", text: String(k + 1) }),
          document.createTextNode(`${cand.individual} · p=${cand.probability} · ${cand.inliers} inliers` +
            (seen && seen.n_crops ? ` · ${seen.n_crops} crops this season` : ""))),
        el("div", { class: "strip" }, ...refs.map((r, j) => refFigure(r, { small: j > 0 })))));
    });
    box.append(row);
  }

  function renderKeys() {
    const foot = document.getElementById("keys");
    foot.replaceChildren();
    for (const [k, what] of KEYS[state.queue].concat(KEYS.all.slice(0, 5))) {
      foot.append(el("kbd", { text: k }), document.createTextNode(` ${what}  `));
    }
    const dl = document.getElementById("help-keys");
    dl.replaceChildren();
    for (const [k, what] of KEYS.all.concat(KEYS.flanks, KEYS.animals, KEYS.matches)) {
      dl.append(el("dt", {}, el("kbd", { text: k })), el("dd", { text: what }));
    }
  }

  function toggle(crop) {
    if (selected.has(crop)) selected.delete(crop); else selected.add(crop);
    render();
  }

  function zoom(src) {
    const box = document.getElementById("zoom");
    box.querySelector("img").src = src;
    box.hidden = false;
  }

  // --- asking for a name ------------------------------------------------------
  let asking = null;
  function ask(label, names, check, then, value) {
    const dialog = document.getElementById("ask");
    document.getElementById("ask-label").textContent = label;
    const input = document.getElementById("ask-input");
    input.value = value || "";
    const list = document.getElementById("ask-names");
    list.replaceChildren(...names.map((n) => el("option", { value: n })));
    document.getElementById("ask-error").textContent = "";
    asking = { check: check, then: then };
    dialog.showModal();
    input.focus();
  }
  function answer(ok) {
    const dialog = document.getElementById("ask");
    if (!asking) return;
    const value = document.getElementById("ask-input").value.trim();
    if (ok) {
      const problem = asking.check(value);
      if (problem) { document.getElementById("ask-error").textContent = problem; return; }
    }
    const then = asking.then;
    asking = null;
    dialog.close();
    if (ok) then(value);
  }

  const PROVISIONAL = /^NEW\d+$/;
  function checkNewName(value, allowExisting) {
    if (!value) return "type a name";
    if (/[,"\n]/.test(value)) return "a name cannot hold a comma or a quote";
    if (PROVISIONAL.test(value) && !(allowExisting && DATA.individuals[value])) return "NEW0001-style names are trapline's own; choose another";
    if (!allowExisting && DATA.individuals[value]) return `${value} exists already: merge with it instead (m)`;
    return null;
  }

  // --- decisions per queue -------------------------------------------------------
  function onFlank(key, item) {
    if (key === "y") decide(item, [line({ proposed_individual: item.left, decision: "merge", other_individual: item.right, note: "flank link" })], "one animal");
    else if (key === "n") decide(item, [line({ proposed_individual: item.left, decision: "distinct", other_individual: item.right })], "two animals");
    else if (key === "u") next();
    else return false;
    return true;
  }

  function onAnimal(key, item) {
    const shown = showAll ? item.all_crops.filter((c) => DATA.crops[c]) : item.crops;
    if (/^[1-9]$/.test(key)) {
      const crop = shown[Number(key) - 1];
      if (crop) toggle(crop);
    } else if (key === "c") {
      decide(item, item.all_crops.map((c) => line({ crop_id: c, proposed_individual: item.individual, decision: "same" })), "confirmed");
    } else if (key === "s") {
      if (!selected.size) return true;
      const crops = [...selected];
      ask(`Split ${crops.length} crop(s) off ${item.individual}: the new animal's name, or an existing identity`,
        Object.keys(DATA.individuals).filter((n) => n !== item.individual),
        (v) => (v === item.individual ? "that is this animal" : checkNewName(v, true)),
        (name) => {
          const existing = Boolean(DATA.individuals[name]);
          decide(item, crops.map((c) => existing
            ? line({ crop_id: c, proposed_individual: name, decision: "same", note: `split off ${item.individual}` })
            : line({ crop_id: c, proposed_individual: item.individual, decision: "new", new_name: name, note: "split" })),
            `split ${crops.length} to ${name}`);
        });
    } else if (key === "m") {
      const looks = item.lookalikes.map((l) => l.individual);
      const names = looks.concat(Object.keys(DATA.individuals).filter((n) => n !== item.individual && !looks.includes(n)));
      ask(`Merge ${item.individual} with which identity?`, names,
        (v) => (!DATA.individuals[v] ? "not an identity of this season or the catalogue" : v === item.individual ? "that is this animal" : null),
        (other) => decide(item, [line({ proposed_individual: item.individual, decision: "merge", other_individual: other })], `merged with ${other}`),
        looks[0]);
    } else if (key === "r") {
      ask(`Name ${item.individual}`, [], (v) => checkNewName(v, false),
        (name) => decide(item, [line({ proposed_individual: item.individual, decision: "name", new_name: name })], `named ${name}`));
    } else if (key === "a") {
      showAll = !showAll;
      render();
    } else if (key === "u") next();
    else return false;
    return true;
  }

  function onMatch(key, item) {
    if (/^[1-9]$/.test(key)) {
      const cand = item.candidates[Number(key) - 1];
      if (!cand) return true;
      decide(item, [line({ crop_id: item.crop, proposed_individual: cand.individual, decision: "same" })], `is ${cand.individual}`);
    } else if (key === "n") {
      decide(item, item.candidates.map((c) => line({ crop_id: item.crop, proposed_individual: c.individual, decision: "different" })), "none of them");
    } else if (key === "a") {
      showAll = !showAll;
      render();
    } else if (key === "u") next();
    else return false;
    return true;
  }

  // --- the decisions file -------------------------------------------------------------
  function csvField(v) {
    v = String(v == null ? "" : v);
    return /[",\n\r]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }
  function toCsv() {
    const rows = [COLUMNS.join(",")];
    for (const l of allLines()) rows.push(COLUMNS.map((c) => csvField(l[c])).join(","));
    return rows.join("\n") + "\n";
  }
  function exportFile() {
    const blob = new Blob([toCsv()], { type: "text/csv" });
    const a = el("a", { href: URL.createObjectURL(blob), download: "decisions.csv" });
    document.body.append(a);
    a.click();
    a.remove();
  }
  function parseCsv(text) {
    const rows = [];
    let row = [], field = "", quoted = false;
    text = text.replace(/^\ufeff/, "");
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; }
        else if (ch === '"') quoted = false;
        else field += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ",") { row.push(field); field = ""; }
      else if (ch === "\n" || ch === "\r") {
        if (ch === "\r" && text[i + 1] === "\n") i++;
        row.push(field); rows.push(row); row = []; field = "";
      } else field += ch;
    }
    if (field || row.length) { row.push(field); rows.push(row); }
    const header = (rows.shift() || []).map((h) => h.trim());
    return rows.filter((r) => r.some((f) => f.trim())).map((r) => {
      const out = {};
      header.forEach((h, k) => { out[h] = (r[k] || "").trim(); });
      return line(out);
    });
  }
  function loadFile(file) {
    file.text().then((text) => {
      const previous = new Set(DATA.previous.map((l) => JSON.stringify(l)));
      const lines = parseCsv(text).filter((l) => l.decision && !previous.has(JSON.stringify(l)));
      state.decisions = state.decisions.filter((d) => d.key !== "file");
      state.decisions.unshift({ key: "file", label: "loaded file", lines: lines });
      save();
      render();
    });
  }

  // --- wiring ---------------------------------------------------------------------------
  document.getElementById("save").addEventListener("click", exportFile);
  document.getElementById("load").addEventListener("change", (ev) => {
    if (ev.target.files[0]) loadFile(ev.target.files[0]);
  });
  document.getElementById("help-button").addEventListener("click", () => document.getElementById("help").showModal());
  document.getElementById("zoom").addEventListener("click", (ev) => { ev.currentTarget.hidden = true; });
  document.getElementById("ask-cancel").addEventListener("click", () => answer(false));
  document.getElementById("ask").addEventListener("submit", (ev) => { ev.preventDefault(); answer(true); });
  document.getElementById("ask").addEventListener("cancel", (ev) => { ev.preventDefault(); answer(false); });

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (document.getElementById("ask").open || document.getElementById("help").open) return;
    const zoomed = document.getElementById("zoom");
    if (!zoomed.hidden) { if (ev.key === "Escape") zoomed.hidden = true; ev.preventDefault(); return; }
    const key = ev.key;
    let handled = true;
    if (key === "ArrowRight" || key === "j") move(1);
    else if (key === "ArrowLeft" || key === "k") move(-1);
    else if (key === "t") switchQueue(QUEUES[(QUEUES.findIndex((q) => q.id === state.queue) + 1) % QUEUES.length].id);
    else if (key === "z") { const undone = state.decisions.filter((d) => d.key !== "file").pop(); if (undone) { state.decisions = state.decisions.filter((d) => d !== undone); undoTo(undone.key); } }
    else if (key === "e") exportFile();
    else if (key === "?") document.getElementById("help").showModal();
    else {
      const item = current();
      handled = item ? { flanks: onFlank, animals: onAnimal, matches: onMatch }[state.queue](key, item) : false;
    }
    if (handled) ev.preventDefault();
  });

  function undoTo(key) {
    // Back to the undone item, in its queue.
    for (const q of QUEUES) {
      const k = DATA.queues[q.id].findIndex((i) => i.key === key);
      if (k >= 0) { state.queue = q.id; state.position[q.id] = k; }
    }
    save();
    render();
  }

  // Open on the first queue with work, at its first undecided item.
  if (!load()) {
    const first = QUEUES.find((q) => DATA.queues[q.id].some((i) => !decisionOf(i)));
    if (first) state.queue = first.id;
    const k = items().findIndex((i) => !decisionOf(i));
    state.position[state.queue] = Math.max(0, k);
  }
  render();
  window.trapline = { toCsv: toCsv, state: () => state };
})();
