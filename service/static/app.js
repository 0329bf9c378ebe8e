// Stancemap page: send the article to /v1/analyze, draw the stance graph as SVG, link edges to sentences.
"use strict";

const STRINGS = {
  en: {
    tagline: "Who stands where toward whom in a news article.", language: "Language",
    articleLabel: "Article (French or English)", articleHelp: "Paste a news article, then press Analyze.",
    includeNeutral: "Show neutral edges", analyze: "Analyze", graph: "Stance graph", text: "Text",
    dyads: "Pairs in each sentence", sentence: "Sentence", source: "Source", target: "Target", stance: "Stance",
    confidence: "Confidence", sentiment: "Sentiment", support: "supports", oppose: "opposes", neutral: "neutral",
    legendHelp: "Arrow: direction. Thickness: confidence. Select an edge to see its sentences.",
    working: "Analysing…", done: (n, e) => `${n} pairs scored, ${e} edges drawn.`,
    empty: "Paste an article first.", noEdges: "No two actors take a stance toward each other in this text.",
    network: "The service could not be reached. Is it running?",
    edgeLabel: (s, v, t, w, n) => `${s} ${v} ${t}, confidence ${w}, ${n} sentence(s)`,
    labels: { support: "support", oppose: "oppose", neutral: "neutral", positive: "positive", negative: "negative" },
  },
  fr: {
    tagline: "Qui se positionne comment envers qui dans un article de presse.", language: "Langue",
    articleLabel: "Article (français ou anglais)", articleHelp: "Collez un article, puis appuyez sur Analyser.",
    includeNeutral: "Afficher les liens neutres", analyze: "Analyser", graph: "Graphe des positions",
    text: "Texte", dyads: "Paires dans chaque phrase", sentence: "Phrase", source: "Source", target: "Cible",
    stance: "Position", confidence: "Confiance", sentiment: "Tonalité", support: "soutient", oppose: "s'oppose à",
    neutral: "neutre", legendHelp: "Flèche : sens. Épaisseur : confiance. Choisissez un lien pour voir ses phrases.",
    working: "Analyse en cours…", done: (n, e) => `${n} paires évaluées, ${e} liens tracés.`,
    empty: "Collez d'abord un article.", noEdges: "Aucun acteur ne prend position envers un autre dans ce texte.",
    network: "Le service est injoignable. Est-il démarré ?",
    edgeLabel: (s, v, t, w, n) => `${s} ${v} ${t}, confiance ${w}, ${n} phrase(s)`,
    labels: { support: "soutien", oppose: "opposition", neutral: "neutre", positive: "positive", negative: "négative" },
  },
};

const SVG = "http://www.w3.org/2000/svg";
let lang = (navigator.language || "en").startsWith("fr") ? "fr" : "en";
let last = null;

const $ = (id) => document.getElementById(id);
const t = (key) => STRINGS[lang][key];

function applyLanguage() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-lang]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === lang)));
  if (last) render(last.result, last.text);
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

async function analyze(event) {
  event.preventDefault();
  const text = $("article").value;
  showError("");
  if (!text.trim()) { showError(t("empty")); $("article").focus(); return; }
  $("status").textContent = t("working");
  $("analyze").disabled = true;
  try {
    const response = await fetch("/v1/analyze", {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ text, include_neutral: $("include-neutral").checked }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const fields = (body.errors || []).map((e) => `${e.field}: ${e.message}`).join("; ");
      throw new Error(`${body.title || response.statusText}: ${body.detail || ""}${fields ? ` (${fields})` : ""}`);
    }
    last = { result: body, text };
    render(body, text);
    $("status").textContent = t("done")(body.dyads.length, body.graph.edges.length);
  } catch (error) {
    $("status").textContent = "";
    showError(error instanceof TypeError ? t("network") : error.message);
  } finally {
    $("analyze").disabled = false;
  }
}

function el(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, tag);
  Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
  if (parent) parent.appendChild(node);
  return node;
}

function render(result, text) {
  $("results").hidden = false;
  drawGraph(result);
  drawText(result, text);
  drawTable(result);
  if (!result.graph.edges.length) $("status").textContent = t("noEdges");
}

function drawGraph(result) {
  const svg = $("graph");
  svg.replaceChildren();
  const defs = el("defs", {}, svg);
  for (const stance of ["support", "oppose", "neutral"]) {
    const marker = el("marker", { id: `arrow-${stance}`, viewBox: "0 0 10 10", refX: "10", refY: "5",
      markerWidth: "12", markerHeight: "12", markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" }, defs);
    el("path", { d: "M 0 0 L 10 5 L 0 10 z", class: `arrowhead ${stance}`,
      fill: getComputedStyle(document.documentElement).getPropertyValue(`--${stance}`).trim() }, marker);
  }
  const nodes = result.graph.nodes;
  const names = Object.fromEntries(nodes.map((n) => [n.id, n.name]));
  const position = {};
  const cx = 400, cy = 260, radius = nodes.length > 1 ? 200 : 0;
  nodes.forEach((n, i) => {
    const angle = (2 * Math.PI * i) / nodes.length - Math.PI / 2;
    position[n.id] = [cx + radius * Math.cos(angle), cy + radius * Math.sin(angle)];
  });
  const edgeLayer = el("g", { class: "edges" }, svg);
  for (const edge of result.graph.edges) {
    const [x1, y1] = position[edge.source], [x2, y2] = position[edge.target];
    const dx = x2 - x1, dy = y2 - y1, length = Math.hypot(dx, dy) || 1;
    // Both directions of a pair bend to opposite sides, so A->B and B->A never hide each other.
    const mx = (x1 + x2) / 2 - (dy / length) * 30, my = (y1 + y2) / 2 + (dx / length) * 30;
    const shrink = (x, y, fx, fy) => { const d = Math.hypot(fx - x, fy - y) || 1; return [x + ((fx - x) / d) * 34, y + ((fy - y) / d) * 34]; };
    const [sx, sy] = shrink(x1, y1, mx, my), [tx, ty] = shrink(x2, y2, mx, my);
    const d = `M ${sx} ${sy} Q ${mx} ${my} ${tx} ${ty}`;
    const verb = t(edge.stance);
    const label = t("edgeLabel")(names[edge.source], verb, names[edge.target], edge.weight.toFixed(2), edge.sentences.length);
    const g = el("g", { class: `edge ${edge.stance}`, tabindex: "0", role: "button", "aria-label": label,
      "data-source": edge.source, "data-target": edge.target, "data-stance": edge.stance }, edgeLayer);
    el("title", {}, g).textContent = label;
    el("path", { d, class: "line", "stroke-width": String(1.5 + 6 * edge.weight), "marker-end": `url(#arrow-${edge.stance})` }, g);
    el("path", { d, class: "hit" }, g);
    const select = () => highlight(edge.sentences, g);
    g.addEventListener("click", select);
    g.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(); } });
  }
  const nodeLayer = el("g", { class: "nodes" }, svg);
  for (const n of nodes) {
    const [x, y] = position[n.id];
    const g = el("g", { class: "node", "data-id": n.id }, nodeLayer);
    el("title", {}, g).textContent = `${n.name}: ${n.mentions.join(", ")}`;
    el("circle", { cx: x, cy: y, r: 30 }, g);
    el("text", { x, y: y + 4 }, g).textContent = n.id;
    el("text", { x, y: y + 48 }, g).textContent = n.name;
  }
}

function drawText(result, text) {
  const box = $("text");
  box.replaceChildren();
  let paragraph = document.createElement("p");
  box.appendChild(paragraph);
  for (const s of result.sentences) {
    const span = document.createElement("span");
    span.className = "sentence";
    span.id = `sentence-${s.index}`;
    span.textContent = text.slice(s.start, s.end) + " ";
    paragraph.appendChild(span);
    const next = result.sentences[s.index + 1];
    if (next && /\n\s*\n/.test(text.slice(s.end, next.start))) {
      paragraph = document.createElement("p");
      box.appendChild(paragraph);
    }
  }
}

function drawTable(result) {
  const names = Object.fromEntries(result.graph.nodes.map((n) => [n.id, n.name]));
  const body = $("dyads").querySelector("tbody");
  body.replaceChildren();
  for (const d of result.dyads) {
    const row = document.createElement("tr");
    row.tabIndex = 0;
    row.dataset.sentence = d.sentence;
    const cells = [d.sentence + 1, names[d.source], names[d.target], STRINGS[lang].labels[d.stance.label],
      d.stance.scores[d.stance.label].toFixed(2), d.sentiment ? STRINGS[lang].labels[d.sentiment.label] : "–"];
    cells.forEach((value, i) => {
      const cell = document.createElement("td");
      cell.textContent = value;
      if (i === 3) cell.className = d.stance.label;
      row.appendChild(cell);
    });
    const select = () => highlight([d.sentence], null);
    row.addEventListener("click", select);
    row.addEventListener("keydown", (e) => { if (e.key === "Enter") select(); });
    body.appendChild(row);
  }
}

function highlight(sentences, edge) {
  document.querySelectorAll(".highlight").forEach((n) => n.classList.remove("highlight"));
  document.querySelectorAll(".edge.selected").forEach((n) => n.classList.remove("selected"));
  if (edge) edge.classList.add("selected");
  for (const index of sentences) {
    const span = $(`sentence-${index}`);
    if (span) span.classList.add("highlight");
    document.querySelectorAll(`#dyads tr[data-sentence="${index}"]`).forEach((r) => r.classList.add("highlight"));
  }
  const first = $(`sentence-${sentences[0]}`);
  if (first) first.scrollIntoView({ block: "nearest" });
}

document.addEventListener("DOMContentLoaded", () => {
  $("analyze-form").addEventListener("submit", analyze);
  document.querySelectorAll("[data-lang]").forEach((b) => b.addEventListener("click", () => { lang = b.dataset.lang; applyLanguage(); }));
  applyLanguage();
});
