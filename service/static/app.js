// Caseworker suggestion page: classify the note while it is typed, show the suggestion,
// and post each acceptance or correction to /v1/feedback. Plain JavaScript, no build.
// Contact text is only ever put in the page as text nodes (never as HTML).
"use strict";

(function () {
  const DEBOUNCE_MS = 300;
  const KEY_STORE = "nlp-contact.api-key";
  const USER_STORE = "nlp-contact.user-ref";

  const $ = (id) => document.getElementById(id);
  const el = (tag, props, ...children) => {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of children) {
      node.append(child);
    }
    return node;
  };
  const words = (name) => String(name).replace(/_/g, " ");
  const percent = (p) => `${Math.round(p * 100)}%`;

  const state = {
    taxonomy: null,
    limits: null,
    model: null,
    timer: null,
    inflight: null,
    seq: 0,
    suggestion: null, // {id, version, text, channel, shown, chosen, answer}
  };

  function randomId() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function setStatus(message, isError) {
    const status = $("status");
    status.textContent = message;
    status.classList.toggle("error", Boolean(isError));
  }

  async function api(path, options) {
    const headers = { Accept: "application/json" };
    const key = sessionStorage.getItem(KEY_STORE);
    if (key) {
      headers["X-API-Key"] = key;
    }
    if (options && options.body) {
      headers["Content-Type"] = "application/json";
    }
    const response = await fetch(path, { ...options, headers });
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    if (response.status === 401) {
      $("api-key-field").hidden = false;
    }
    if (!response.ok) {
      const detail = body && body.detail ? body.detail : response.statusText;
      const error = new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
      error.status = response.status;
      throw error;
    }
    return body;
  }

  // ---------------------------------------------------------------- model and taxonomy
  async function loadModel() {
    try {
      const info = await api("/v1/model");
      state.taxonomy = info.taxonomy;
      state.limits = info.service;
      state.model = info.model;
      $("model-name").textContent = `Model ${info.model.name}, version ${info.model.version}`;
      $("api-key-field").hidden = !info.service.auth;
      const select = $("channel");
      select.replaceChildren(el("option", { value: "", textContent: "Not given" }));
      for (const channel of info.taxonomy.channels || []) {
        select.append(el("option", { value: channel, textContent: words(channel) }));
      }
      updateCount();
      setStatus("Ready. Type a note to see suggestions.");
      if ($("note").value.trim()) {
        classifySoon(0);
      }
    } catch (error) {
      $("model-name").textContent = "Model not available";
      setStatus(
        error.status === 401
          ? "This service needs an API key: enter it above and choose “Use this key”."
          : `The model is not available: ${error.message}`,
        true,
      );
    }
  }

  // ---------------------------------------------------------------- classification
  function updateCount() {
    const n = $("note").value.length;
    const max = state.limits ? state.limits.max_text_chars : null;
    $("note-count").textContent = max
      ? `${n.toLocaleString("en-GB")} of ${max.toLocaleString("en-GB")} characters`
      : `${n.toLocaleString("en-GB")} characters`;
    $("note-count").classList.toggle("error", Boolean(max && n > max));
  }

  function classifySoon(delay) {
    clearTimeout(state.timer);
    state.timer = setTimeout(classify, delay === undefined ? DEBOUNCE_MS : delay);
  }

  async function classify() {
    const text = $("note").value;
    const channel = $("channel").value || null;
    if (!state.taxonomy) {
      return;
    }
    if (!text.trim()) {
      $("results").hidden = true;
      state.suggestion = null;
      setStatus("Type a note to see suggestions.");
      return;
    }
    if (state.limits && text.length > state.limits.max_text_chars) {
      setStatus(`The note is longer than ${state.limits.max_text_chars} characters.`, true);
      return;
    }
    if (state.inflight) {
      state.inflight.abort();
    }
    const controller = new AbortController();
    state.inflight = controller;
    const seq = ++state.seq;
    const id = randomId();
    setStatus("Updating suggestions…");
    try {
      const answer = await api("/v1/classify", {
        method: "POST",
        body: JSON.stringify({ text, channel, id, explain: true }),
        signal: controller.signal,
      });
      if (seq !== state.seq) {
        return;
      }
      state.suggestion = {
        id,
        version: answer.model.version,
        text,
        channel,
        answer,
        shown: shownLabels(answer),
        chosen: shownLabels(answer),
      };
      render(answer, text);
      setStatus(summaryText(answer));
    } catch (error) {
      if (error.name === "AbortError" || seq !== state.seq) {
        return;
      }
      setStatus(`Could not get suggestions: ${error.message}`, true);
    } finally {
      if (state.inflight === controller) {
        state.inflight = null;
      }
    }
  }

  function shownLabels(answer) {
    const heads = {};
    const flags = {};
    for (const [head, h] of Object.entries(answer.heads)) {
      heads[head] = h.label;
    }
    for (const [flag, f] of Object.entries(answer.flags)) {
      flags[flag] = f.value;
    }
    return { heads, flags };
  }

  function derivedText(name, value) {
    const derived = (state.taxonomy.derived || {})[name];
    const described = derived && derived.descriptions ? derived.descriptions[value] : null;
    return described || words(value);
  }

  // A derived output whose rules test only flags (in the default taxonomy: priority, set by
  // the vulnerability flag) is an alert: a value other than its default shows the banner.
  function isAlert(derived) {
    return derived.rules.length > 0 && derived.rules.every(
      (rule) => Object.values(rule.when).every((condition) => typeof condition === "boolean"),
    );
  }

  function alerts(answer) {
    const out = [];
    for (const [name, derived] of Object.entries(state.taxonomy.derived || {})) {
      const value = answer[name];
      if (isAlert(derived) && value !== undefined && value !== derived.default) {
        const flags = new Set();
        for (const rule of derived.rules) {
          for (const [flag, wanted] of Object.entries(rule.when)) {
            if (wanted === true && answer.flags[flag] && answer.flags[flag].value) {
              flags.add(flag);
            }
          }
        }
        out.push({ name, value, flags });
      }
    }
    return out;
  }

  function summaryText(answer) {
    const parts = Object.entries(answer.heads).map(([h, v]) => `${words(h)}: ${words(v.label)}`);
    const urgent = alerts(answer).map((a) => `${words(a.value)}. `).join("");
    return `Suggestions updated. ${urgent}${parts.join(", ")}.`;
  }

  // ---------------------------------------------------------------- rendering
  function render(answer, text) {
    $("results").hidden = false;
    const raised = alerts(answer);
    const alertFlags = new Set(raised.flatMap((a) => Array.from(a.flags)));
    $("urgent").hidden = raised.length === 0;
    $("urgent-title").textContent = raised.map((a) => `${words(a.value)}:`).join(" ");
    $("urgent-text").textContent = raised
      .map((a) => ` ${derivedText(a.name, a.value)} (${Array.from(a.flags).map(words).join(", ")}).`)
      .join("");
    const list = $("derived");
    list.replaceChildren();
    for (const [name, derived] of Object.entries(state.taxonomy.derived || {})) {
      if (answer[name] !== undefined && !isAlert(derived)) {
        const value = el("dd", { textContent: derivedText(name, answer[name]) });
        value.dataset.derived = name;
        list.append(el("dt", { textContent: words(name) }), value);
      }
    }
    const review = $("review");
    review.hidden = !answer.needs_review;
    review.textContent = answer.needs_review
      ? `Check this suggestion: ${answer.review_reasons.map(words).join("; ")}.`
      : "";
    renderFlags(answer, alertFlags);
    renderHeads(answer);
    renderEvidence(answer, text, alertFlags);
  }

  function renderFlags(answer, alertFlags) {
    const list = $("flags");
    list.replaceChildren();
    for (const [flag, f] of Object.entries(answer.flags)) {
      const spec = (state.taxonomy.flags || {})[flag] || {};
      const item = el(
        "li",
        { className: `flag ${f.value ? "on" : "off"}${alertFlags.has(flag) ? " alert" : ""}` },
        el("span", { className: "flag-name", textContent: words(flag) }),
        el("span", { className: "flag-value", textContent: f.value ? "Yes" : "No" }),
        el("span", { className: "flag-prob", textContent: `(${percent(f.probability)})` }),
      );
      item.dataset.flag = flag;
      if (spec.description) {
        item.title = spec.description;
      }
      list.append(item);
    }
  }

  function renderHeads(answer) {
    const container = $("heads");
    container.replaceChildren();
    for (const [head, h] of Object.entries(answer.heads)) {
      const spec = state.taxonomy.heads[head];
      const card = el("fieldset", { className: "head" });
      card.dataset.head = head;
      card.dataset.label = h.label;
      card.append(el("legend", { textContent: words(head) }));
      const labelText = el("p", { className: "label" },
        el("strong", { className: "label-value", textContent: words(h.label) }),
        el("span", { className: "confidence", textContent: ` (confidence ${percent(h.confidence)})` }));
      const description = spec.labels[h.label];
      if (description) {
        labelText.append(el("span", { className: "label-description", textContent: ` — ${description}` }));
      }
      const bar = el("div", { className: "bar" }, el("div", { className: "fill" }));
      bar.setAttribute("aria-hidden", "true");
      bar.firstChild.style.width = percent(h.confidence);
      bar.classList.toggle("low", h.confidence < 0.5);

      const selectId = `correct-${head}`;
      const select = el("select", { id: selectId, name: selectId });
      for (const label of Object.keys(spec.labels)) {
        const option = el("option", { value: label, textContent: words(label) });
        option.selected = label === h.label;
        select.append(option);
      }
      const accept = el("button", { type: "button", className: "accept", textContent: "Accept" });
      accept.setAttribute("aria-label", `Accept ${words(head)}: ${words(h.label)}`);
      const save = el("button", { type: "button", className: "secondary save", textContent: "Save correction" });
      save.disabled = true;
      const done = el("p", { className: "done" });
      done.setAttribute("aria-live", "polite");
      select.addEventListener("change", () => {
        save.disabled = select.value === h.label;
      });
      accept.addEventListener("click", () => sendFeedback(head, h.label, done));
      save.addEventListener("click", () => sendFeedback(head, select.value, done));

      card.append(
        labelText,
        bar,
        el("div", { className: "actions" },
          accept,
          el("label", { htmlFor: selectId, className: "correct-label", textContent: "Correct to" }),
          select,
          save),
        done,
      );
      container.append(card);
    }
  }

  function renderEvidence(answer, text, alertFlags) {
    const box = $("evidence");
    box.replaceChildren();
    const evidence = answer.evidence || {};
    const owners = new Map(); // word -> outputs it supports
    for (const [output, terms] of Object.entries(evidence)) {
      for (const t of terms) {
        for (const w of String(t.term).toLowerCase().split(/\s+/)) {
          if (w.length > 1) {
            if (!owners.has(w)) {
              owners.set(w, new Set());
            }
            owners.get(w).add(output);
          }
        }
      }
    }
    const pattern = /[\p{L}\p{N}']+/gu;
    let last = 0;
    let marked = 0;
    for (const match of text.matchAll(pattern)) {
      const word = match[0].toLowerCase().replace(/'/g, "");
      const key = owners.has(match[0].toLowerCase()) ? match[0].toLowerCase() : word;
      if (!owners.has(key)) {
        continue;
      }
      box.append(document.createTextNode(text.slice(last, match.index)));
      const outputs = Array.from(owners.get(key));
      const mark = el("mark", { textContent: match[0], title: outputs.map(words).join(", ") });
      if (outputs.some((output) => alertFlags.has(output))) {
        mark.className = "urgent-word";
      }
      box.append(mark);
      last = match.index + match[0].length;
      marked += 1;
    }
    box.append(document.createTextNode(text.slice(last)));
    box.dataset.marked = String(marked);
  }

  // ---------------------------------------------------------------- feedback
  function userRef() {
    const input = $("user-ref");
    let ref = input.value.trim();
    if (!ref) {
      ref = `session-${randomId().slice(0, 8)}`;
      input.value = ref;
    }
    sessionStorage.setItem(USER_STORE, ref);
    return ref;
  }

  async function sendFeedback(head, label, done) {
    const s = state.suggestion;
    if (!s) {
      return;
    }
    s.chosen.heads[head] = label;
    const corrected = label !== s.shown.heads[head];
    done.textContent = "Saving…";
    try {
      await api("/v1/feedback", {
        method: "POST",
        body: JSON.stringify({
          suggestion_id: s.id,
          model_version: s.version,
          shown: s.shown,
          chosen: s.chosen,
          user: userRef(),
          text: s.text,
          channel: s.channel,
        }),
      });
      const message = corrected
        ? `Saved: ${words(head)} corrected to ${words(label)}.`
        : `Saved: ${words(head)} accepted as ${words(label)}.`;
      done.textContent = message;
      done.classList.remove("error");
      setStatus(message);
    } catch (error) {
      done.textContent = `Not saved: ${error.message}`;
      done.classList.add("error");
      setStatus(`Feedback not saved: ${error.message}`, true);
    }
  }

  // ---------------------------------------------------------------- wiring
  function start() {
    $("user-ref").value = sessionStorage.getItem(USER_STORE) || "";
    $("api-key").value = sessionStorage.getItem(KEY_STORE) || "";
    $("user-ref").addEventListener("change", () => userRef());
    $("note").addEventListener("input", () => {
      updateCount();
      classifySoon();
    });
    $("channel").addEventListener("change", () => classifySoon(0));
    $("api-key-save").addEventListener("click", () => {
      const key = $("api-key").value.trim();
      if (key) {
        sessionStorage.setItem(KEY_STORE, key);
      } else {
        sessionStorage.removeItem(KEY_STORE);
      }
      loadModel();
    });
    loadModel();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
