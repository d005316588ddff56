// narrate studio: the page. Plain JavaScript against the JSON API (see the README); no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’.\-]*[\p{L}\p{N}]|[\p{L}\p{N}]/gu;

const state = {
  folder: null,      // /api/articles
  path: null,        // the open article
  script: null,      // /api/script
  lexicon: null,     // /api/lexicon
  guesses: null,     // /api/words: words the voice will guess (null: the check extra is missing)
  episode: null,     // /api/episode
  events: null,      // the EventSource of a running render
  editing: null,     // {word, sentence}
};

// --- talking to the server ------------------------------------------------------------------------

async function api(method, url, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.body = JSON.stringify(body);
    options.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(url, options);
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (!response.ok) {
    const error = new Error((data && data.error) || `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

function say(message, isError) {
  const line = $("status");
  line.textContent = message || "";
  line.classList.toggle("error", Boolean(isError));
}

function fail(error) { say(error.message.split("\n")[0], true); }

function query(params) {
  return new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null)).toString();
}

function clock(seconds) {
  const whole = Math.max(0, Math.round(seconds));
  const h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), s = whole % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return (h ? `${h}:` : "") + `${mm}:${String(s).padStart(2, "0")}`;
}

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  const { dataset, style, ...rest } = props || {};
  Object.assign(node, rest);
  Object.assign(node.dataset, dataset || {});
  if (style) node.style.cssText = style;
  for (const child of children) node.append(child);
  return node;
}

// --- routing: #/ is the folder, #/a/<path> an article ---------------------------------------------

async function route() {
  const hash = decodeURIComponent(location.hash.replace(/^#/, ""));
  try {
    if (!state.folder) state.folder = await api("GET", "/api/articles");
    $("folder").textContent = state.folder.folder;
    $("lexicon-file").textContent = `lexicon: ${state.folder.lexicon}`;
    if (hash.startsWith("/a/")) return await openArticle(hash.slice(3));
    if (state.folder.single && state.folder.articles.length) {
      location.replace(`#/a/${encodeURIComponent(state.folder.articles[0].path)}`);
      return;
    }
    await showFolder();
  } catch (error) { fail(error); }
}

async function showFolder() {
  state.path = null;
  $("article-view").hidden = true;
  $("folder-view").hidden = false;
  state.folder = await api("GET", "/api/articles");
  const body = $("articles").tBodies[0];
  body.replaceChildren();
  for (const row of state.folder.articles) {
    // a producer looks for the headline: it is the link; byline and date under it; the file name small
    const link = el("a", { href: `#/a/${encodeURIComponent(row.path)}`, className: "headline",
      textContent: row.title || row.path });
    const byline = [row.author, longDate(row.date)].filter(Boolean).join(" · ");
    const meta = byline ? el("div", { className: "byline muted", textContent: byline }) : "";
    const file = el("div", { className: "file", textContent: row.path });
    const badge = el("span", { className: `state ${row.state}`, textContent: stateLabel(row.state) });
    if (row.error) badge.title = row.error;
    body.append(el("tr", { dataset: { path: row.path } },
      el("td", {}, link, meta, file), el("td", {}, badge),
      el("td", { textContent: row.seconds ? clock(row.seconds) : "" })));
  }
  $("feed-link").hidden = !state.folder.feed;
  $("render-changed").disabled = !state.folder.articles.some((a) => a.state !== "made");
}

function longDate(iso) {
  // "2026-03-04" -> "4 March 2026", read as a calendar date (never shifted by the browser's time zone)
  if (!iso) return "";
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("en-GB",
    { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}

function stateLabel(name) {
  return { new: "not made", made: "made", changed: "changed since", failed: "failed" }[name] || name;
}

// --- the script view ------------------------------------------------------------------------------

async function openArticle(path) {
  $("folder-view").hidden = true;
  $("article-view").hidden = false;
  if (state.path !== path) {
    state.path = path;
    state.guesses = null;
    state.episode = null;
    $("player").hidden = true;
    $("episode-state").textContent = "";
  }
  await loadScript();
  loadGuesses();
  await loadEpisode();
}

async function loadScript() {
  const [script, lexicon] = await Promise.all([
    api("GET", `/api/script?${query({ path: state.path })}`),
    api("GET", "/api/lexicon"),
  ]);
  state.script = script;
  state.lexicon = lexicon;
  $("lexicon-file").textContent = `lexicon: ${lexicon.file}`;
  renderScript();
}

async function loadGuesses() {
  // 501: the check extra (its pronouncing dictionary) is not installed: then no word is marked
  try {
    const data = await api("GET", `/api/words?${query({ path: state.path })}`);
    state.guesses = new Set((data.words || []).map((w) => (typeof w === "string" ? w : w.word).toLowerCase()));
    // marked in place: re-rendering would drop the reader's selection and the paragraph being heard
    document.querySelectorAll("#script .w").forEach(markGuess);
  } catch (error) {
    if (error.status !== 501) fail(error);
  }
}

function renderScript() {
  const script = state.script;
  $("title").textContent = script.title;
  $("meta").textContent = [script.author && `by ${script.author}`, script.date, script.path].filter(Boolean).join(" · ");
  $("warnings").replaceChildren(...script.warnings.map((w) => el("li", { textContent: w })));
  const holder = $("script");
  holder.replaceChildren();
  for (const chapter of script.chapters) {
    const section = el("section", { className: "chapter", dataset: { chapter: chapter.number } },
      el("h2", {}, `${chapter.number}. ${chapter.title}`, el("span", { className: "kind", textContent: chapter.kind })));
    for (const paragraph of chapter.paragraphs) section.append(renderParagraph(paragraph));
    holder.append(section);
  }
}

function renderParagraph(paragraph) {
  const play = el("button", { type: "button", className: "play", textContent: String(paragraph.number),
    title: `hear paragraph ${paragraph.number}` });
  play.addEventListener("click", () => hearParagraph(paragraph.number));
  const text = el("div", { className: "text" });
  for (const sentence of paragraph.sentences) {
    const line = el("p", { className: "sentence" }, el("span", { className: "written" }, ...words(sentence)));
    if (differs(sentence)) line.append(el("span", { className: "spoken", textContent: sentence.spoken }));
    if (sentence.rewrites && sentence.rewrites.length) line.append(rewritesBox(sentence.rewrites));
    text.append(line);
  }
  return el("div", { className: `paragraph${paragraph.heading ? " heading" : ""}`,
    dataset: { paragraph: paragraph.number } }, play, text);
}

function rewritesBox(rewrites) {
  // shown on hover: why the sentence is said as it is, as `narrate script --explain` prints it
  const box = el("ul", { className: "rewrites" });
  for (const r of rewrites) {
    box.append(el("li", {}, el("span", { className: "rule", textContent: `${r.rule}: ` }),
      el("span", { className: "was", textContent: r.written }), " → ",
      el("span", { className: "now", textContent: r.spoken })));
  }
  return box;
}

function differs(sentence) {
  // quotation marks and a heading's added full stop are not worth a second line
  const plain = (text) => text.replace(/["“”‘’'«»]/g, "").replace(/[\s.!?…:;,]+$/u, "").replace(/\s+/g, " ").trim();
  return plain(sentence.spoken) !== plain(sentence.text);
}

function markGuess(span) {
  if (!state.guesses || !state.guesses.has(span.textContent.toLowerCase())) return;
  span.classList.add("guess");
  span.title = span.title || "the voice will guess this word: give it a pronunciation";
}

function words(sentence) {
  // the written sentence as clickable words; lexicon matches and guessed words are marked
  const text = sentence.text;
  const marks = [];
  for (const match of sentence.lexicon) {
    const at = text.indexOf(match.written);
    if (at >= 0) marks.push({ start: at, end: at + match.written.length, spoken: match.spoken });
  }
  const out = [];
  let last = 0;
  for (const found of text.matchAll(WORD)) {
    const start = found.index, end = start + found[0].length;
    if (start > last) out.push(text.slice(last, start));
    const span = el("span", { className: "w", textContent: found[0] });
    const lex = marks.find((m) => start >= m.start && end <= m.end);
    if (lex) { span.classList.add("lex"); span.title = `lexicon: ${lex.spoken}`; }
    markGuess(span);
    span.addEventListener("click", (event) => openEditor(event, found[0], sentence.text));
    out.push(span);
    last = end;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

// --- hearing a paragraph or a line ----------------------------------------------------------------

function play(url, label, paragraph) {
  const audio = $("preview-audio");
  document.querySelectorAll(".paragraph.playing").forEach((p) => p.classList.remove("playing"));
  if (paragraph) {
    const node = document.querySelector(`.paragraph[data-paragraph="${paragraph}"]`);
    if (node) node.classList.add("playing");
  }
  audio.dataset.url = url;
  audio.src = url;
  say(`playing ${label}`);
  audio.play().catch(() => {});  // a refused autoplay still leaves the source loaded
}

function hearParagraph(number) {
  play(`/api/preview?${query({ path: state.path, paragraph: number })}`, `paragraph ${number}`, number);
}

function hearText(text) {
  play(`/api/say?${query({ text })}`, `“${text.slice(0, 60)}”`);
}

async function previewError() {
  // an audio element cannot read the server's one-line error: ask again to show it
  const url = $("preview-audio").dataset.url;
  if (!url) return;
  try {
    const response = await fetch(url);
    const data = await response.json();
    say(data.error || `cannot play: ${response.status}`, true);
  } catch (error) { say("cannot play this part", true); }
}

// --- fixing a pronunciation -----------------------------------------------------------------------

function knownSpoken(word) {
  const lexicon = state.lexicon || { entries: {}, profile: {} };
  return lexicon.entries[word] ?? lexicon.profile[word] ?? lexicon.entries[word.toLowerCase()] ?? lexicon.profile[word.toLowerCase()];
}

function openEditor(event, word, sentence) {
  const selected = String(window.getSelection() || "").trim();
  const phrase = selected && sentence.includes(selected) && selected.length <= 100 ? selected : word;
  state.editing = { sentence };
  $("editor-word").value = phrase;
  $("editor-spoken").value = knownSpoken(phrase) || "";
  updateEditorNote();
  showPhonemes();
  $("editor-error").textContent = "";
  $("editor").hidden = false;
  $("editor-spoken").focus();
}

function updateEditorNote() {
  const word = $("editor-word").value.trim();
  const lexicon = state.lexicon || { entries: {}, profile: {} };
  const inFile = Object.prototype.hasOwnProperty.call(lexicon.entries, word);
  $("editor-remove").disabled = !inFile;
  $("editor-note").textContent = inFile ? `in ${lexicon.file}`
    : (word in lexicon.profile ? "from the profile; saving overrides it in the lexicon file" : `saving adds it to ${lexicon.file}`);
}

// the phonemes the voice will use for the word as typed in "Say it as" (or as the lexicon has it)
async function showPhonemes() {
  const word = $("editor-word").value.trim(), spoken = $("editor-spoken").value.trim();
  const asked = `${word}\n${spoken}`;
  state.phonemesFor = asked;
  if (!word) { $("editor-phonemes").textContent = ""; return; }
  try {
    const found = await api("GET", `/api/phonemes?${query({ word, spoken: spoken || undefined })}`);
    if (state.phonemesFor === asked) $("editor-phonemes").textContent = found.phonemes;
  } catch (error) {
    if (state.phonemesFor === asked) $("editor-phonemes").textContent = `(${error.message})`;
  }
}

async function saveEntry(event) {
  event.preventDefault();
  const word = $("editor-word").value.trim(), spoken = $("editor-spoken").value.trim();
  try {
    state.lexicon = await api("PUT", "/api/lexicon", { word, spoken });
    $("editor").hidden = true;
    say(`saved ${word} = ${spoken} in ${state.lexicon.file}`);
    await loadScript();
    await loadEpisode();
  } catch (error) { $("editor-error").textContent = error.message; }
}

async function removeEntry() {
  const word = $("editor-word").value.trim();
  try {
    state.lexicon = await api("DELETE", "/api/lexicon", { word });
    $("editor").hidden = true;
    say(`removed ${word} from ${state.lexicon.file}`);
    await loadScript();
    await loadEpisode();
  } catch (error) { $("editor-error").textContent = error.message; }
}

async function hearEntry() {
  const word = $("editor-word").value.trim(), spoken = $("editor-spoken").value.trim();
  $("editor-error").textContent = "";
  // one sentence: fetched whole, so a bad entry is a line in the editor rather than a silent player
  const url = `/api/say?${query({ text: state.editing.sentence, word, spoken })}`;
  try {
    const response = await fetch(url);
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      $("editor-error").textContent = data.error || `${response.status} ${response.statusText}`;
      return;
    }
    const audio = $("preview-audio");
    if (audio.dataset.blob) URL.revokeObjectURL(audio.dataset.blob);
    const blob = URL.createObjectURL(await response.blob());
    audio.dataset.blob = blob;
    play(blob, `“${word}” as “${spoken}”`);
  } catch (error) { $("editor-error").textContent = error.message; }
}

// --- render, progress and the player -------------------------------------------------------------

async function render(paths) {
  try {
    const job = await api("POST", "/api/render", paths ? { paths } : {});
    showProgress(job);
    follow();
  } catch (error) { fail(error); }
}

function follow() {
  if (state.events) state.events.close();
  const events = new EventSource("/api/events");
  state.events = events;
  events.addEventListener("render", (message) => {
    const job = JSON.parse(message.data);
    showProgress(job);
    if (job.state !== "running") {
      events.close();
      state.events = null;
      finished(job);
    }
  });
  events.onerror = () => { /* the stream ends with the job; a dropped one reconnects by itself */ };
}

const STAGES = { synthesise: "Synthesising", loudness: "Setting loudness", encode: "Encoding MP3" };

function showProgress(job) {
  const box = $("progress"), bar = $("progress-bar"), text = $("progress-text");
  box.hidden = job.state === "idle";
  $("render").disabled = $("render-changed").disabled = job.state === "running";
  const articles = job.articles || [];
  const finishedCount = articles.filter((a) => ["made", "unchanged", "failed", "duplicate"].includes(a.state)).length;
  if (job.state !== "running") {
    bar.max = 1;
    bar.value = job.state === "done" ? 1 : bar.value;
    text.textContent = job.state === "done" ? `Done: ${articles.length} episode${articles.length === 1 ? "" : "s"} in ${job.elapsed} s`
      : `Failed: ${job.error || ""}`;
    return;
  }
  const stage = STAGES[job.stage] || "Starting";
  bar.max = Math.max(1, job.total);
  bar.value = job.done;
  const count = job.total ? ` · ${job.done}/${job.total} sentences` : "";
  const eta = job.eta != null ? ` · about ${clock(job.eta)} left` : "";
  const which = articles.length > 1 ? ` · article ${Math.min(finishedCount + 1, articles.length)} of ${articles.length}` : "";
  text.textContent = `${stage}${count}${eta}${which}`;
}

async function finished(job) {
  if (job.state === "failed") say(job.error || "the render failed", true);
  else say("rendered");
  state.folder = null;
  if (state.path) await loadEpisode(); else await showFolder();
}

async function loadEpisode() {
  if (!state.path) return;
  try {
    const episode = await api("GET", `/api/episode?${query({ path: state.path })}`);
    state.episode = episode;
    showEpisode(episode);
  } catch (error) { fail(error); }
}

function showEpisode(episode) {
  const label = { new: "Not made yet.", made: "Made and up to date.", changed: "Made, but the article or a setting has changed since.",
    failed: `The last render failed: ${episode.error || ""}` }[episode.state] || "";
  $("episode-state").textContent = label + (episode.seconds ? ` ${clock(episode.seconds)}, ${episode.chapters.length} chapters.` : "");
  if (!episode.files.mp3) { $("player").hidden = true; return; }
  $("player").hidden = false;
  const audio = $("episode-audio");
  const source = `${episode.files.mp3}?made=${episode.made || ""}`;
  if (audio.dataset.source !== source) {
    audio.dataset.source = source;
    audio.src = source;
  }
  const chapters = $("chapters");
  chapters.replaceChildren(...episode.chapters.map((c, i) => {
    const item = el("li", { dataset: { index: i, start: c.start } }, c.title, el("span", { className: "time", textContent: clock(c.start) }));
    item.addEventListener("click", () => seek(c.start));
    return item;
  }));
  renderTranscript(episode);
  renderTimeline(episode, null);
  const names = { mp3: "MP3", vtt: "Transcript (WebVTT)", srt: "Transcript (SRT)", chapters: "Chapters (JSON)", transcript: "Transcript with word timings (JSON)" };
  $("downloads").replaceChildren(...Object.entries(episode.files).map(([kind, url]) =>
    el("li", {}, el("a", { href: url, download: "", textContent: names[kind] || kind }))));
  loadFlags(episode);
}

function renderTranscript(episode) {
  const holder = $("transcript");
  holder.replaceChildren();
  for (const cue of episode.cues) {
    const line = el("p", { dataset: { start: cue.start, end: cue.end } });
    const inside = (episode.words || []).filter((w) => w.start >= cue.start - 0.001 && w.start < cue.end);
    if (inside.length) {
      inside.forEach((w, i) => {
        if (i) line.append(" ");
        line.append(el("span", { className: "word", textContent: w.word, dataset: { start: w.start, end: w.end } }));
      });
    } else {
      line.textContent = cue.text;
    }
    line.addEventListener("click", () => seek(cue.start));
    holder.append(line);
  }
}

function renderTimeline(episode, flags) {
  const line = $("timeline");
  const total = episode.seconds || 1;
  line.replaceChildren(...episode.chapters.map((c) => el("span", { className: "chap", title: c.title,
    style: `left:${(100 * c.start) / total}%;width:${(100 * (c.end - c.start)) / total}%` })));
  for (const flag of flags || []) {
    line.append(el("span", { className: "flag", title: flag.message || flag.text || "flagged",
      style: `left:${(100 * flag.start) / total}%` }));
  }
  line.append(el("span", { className: "head", id: "timeline-head" }));
}

async function loadFlags(episode) {
  // 501: the check extra (its recogniser) is not installed: then the timeline has no flags
  try {
    const data = await api("GET", `/api/check?${query({ path: episode.path })}`);
    renderTimeline(episode, data.flags || []);
  } catch (error) {
    if (error.status !== 501) fail(error);
  }
}

function seek(seconds) {
  const audio = $("episode-audio");
  audio.currentTime = seconds;
  audio.play().catch(() => {});
}

function followPlayhead() {
  const audio = $("episode-audio");
  const t = audio.currentTime;
  const episode = state.episode;
  if (!episode) return;
  const head = $("timeline-head");
  if (head) head.style.left = `${(100 * t) / (episode.seconds || 1)}%`;
  for (const item of $("chapters").children) {
    const index = Number(item.dataset.index), chapter = episode.chapters[index];
    item.classList.toggle("now", t >= chapter.start && t < chapter.end);
  }
  for (const line of $("transcript").children) {
    const now = t >= Number(line.dataset.start) && t < Number(line.dataset.end);
    if (now && !line.classList.contains("now")) line.scrollIntoView({ block: "nearest" });
    line.classList.toggle("now", now);
    for (const word of line.querySelectorAll(".word")) {
      word.classList.toggle("now", now && t >= Number(word.dataset.start) && t < Number(word.dataset.end));
    }
  }
}

// --- wiring ---------------------------------------------------------------------------------------

function hearSelection(event) {
  if (event.key !== "s" && event.key !== "S") return;
  if (event.target.closest && event.target.closest("input, textarea")) return;
  const selection = window.getSelection();
  const text = String(selection || "").trim();
  if (!text || !selection.anchorNode || !$("script").contains(selection.anchorNode)) return;
  event.preventDefault();
  hearText(text);
}

document.addEventListener("DOMContentLoaded", () => {
  window.addEventListener("hashchange", route);
  document.addEventListener("keydown", hearSelection);
  $("render").addEventListener("click", () => render([state.path]));
  $("render-changed").addEventListener("click", () => render(null));
  $("editor").addEventListener("submit", saveEntry);
  $("editor-remove").addEventListener("click", removeEntry);
  $("editor-hear").addEventListener("click", hearEntry);
  $("editor-close").addEventListener("click", () => { $("editor").hidden = true; });
  $("editor-word").addEventListener("input", updateEditorNote);
  let typing = null;  // phonemes follow the typing, asked for once it pauses
  for (const id of ["editor-word", "editor-spoken"]) {
    $(id).addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(showPhonemes, 250); });
  }
  $("preview-audio").addEventListener("error", previewError);
  $("preview-audio").addEventListener("ended", () => {
    document.querySelectorAll(".paragraph.playing").forEach((p) => p.classList.remove("playing"));
  });
  $("episode-audio").addEventListener("timeupdate", followPlayhead);
  $("timeline").addEventListener("click", (event) => {
    const box = $("timeline").getBoundingClientRect();
    if (state.episode) seek(((event.clientX - box.left) / box.width) * state.episode.seconds);
  });
  api("GET", "/api/render").then((job) => {
    if (job.state === "running") { showProgress(job); follow(); }
  }).catch(fail);
  route();
});
