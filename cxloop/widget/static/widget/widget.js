/* CX Loop website widget: shows CX Loop surveys on your site as a pop-over or a feedback tab.
 * Embed once per page:  <script src="https://<your CX Loop>/widget.js" data-site="<site key>" async></script>
 * Then:  cxloop.track("checkout_completed"); cxloop.identify({id, user_hash, attributes}); cxloop.open(surveyId)
 * Calls made before the script loads can be queued: window.cxloop = {q: [["track", "name"], ...]}.
 * Own code, no libraries; it stores only "when was this browser last asked" in localStorage. */
(function (w, d) {
  "use strict";
  if (w.cxloop && w.cxloop.loaded) { return; }
  var script = d.currentScript || d.querySelector("script[data-site]");
  if (!script) { return; }
  var site = script.getAttribute("data-site");
  var base = new URL(script.src, w.location.href).origin;
  var queued = (w.cxloop && w.cxloop.q) || [];
  var visitor = null, placements = [], ready = false, pending = [], open = null, tabs = {};
  var ui = {send: "Send", yes: "Yes", no: "No", other: "Other", agree: "I agree"};
  var lang = (d.documentElement.lang || w.navigator.language || "en").split(",")[0];

  function api(path, body) {
    var init = {credentials: "omit", headers: {}};
    if (body) {
      init.method = "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return w.fetch(base + "/w/" + encodeURIComponent(site) + path, init).then(function (r) {
      return r.json().then(function (data) { data.status = r.status; return data; });
    });
  }
  function store(key, value) {
    try {
      if (value === undefined) { return w.localStorage.getItem("cxloop:" + key); }
      w.localStorage.setItem("cxloop:" + key, value);
    } catch (e) { /* storage blocked: ask as if new */ }
    return null;
  }
  function urlMatches(p) {
    var href = w.location.href, path = w.location.pathname, v = p.url.value;
    if (p.url.op === "contains") { return href.indexOf(v) >= 0; }
    if (p.url.op === "equals") { return href === v || path === v; }
    if (p.url.op === "starts_with") { return href.indexOf(v) === 0 || path.indexOf(v) === 0; }
    return true;
  }
  function targeted(p) {
    if (!p.targeting.length) { return true; }
    var attrs = (visitor && visitor.attributes) || {};
    return p.targeting.every(function (t) {
      var a = attrs[t.attribute], v = t.value;
      if (a === undefined || a === null) { return t.op === "neq"; }
      if (t.op === "eq") { return String(a) === String(v); }
      if (t.op === "neq") { return String(a) !== String(v); }
      if (t.op === "contains") { return String(a).indexOf(v) >= 0; }
      if (t.op === "in") { return v.indexOf(String(a)) >= 0; }
      if (t.op === "gt") { return Number(a) > Number(v); }
      if (t.op === "lt") { return Number(a) < Number(v); }
      return false;
    });
  }
  function coolingDown(p) {
    var last = Number(store("seen:" + p.survey) || 0);
    return last && (Date.now() - last) < p.cooldown_days * 86400000;
  }
  function eligible(p) {
    if (p.sampled === undefined) { p.sampled = Math.random() * 100 < p.sample_rate; }
    return p.sampled && urlMatches(p) && targeted(p) && !coolingDown(p);
  }

  // -- drawing ---------------------------------------------------------------------------------------------
  var CSS = ":host{all:initial}*{box-sizing:border-box;font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1b1f23}" +
    ".box{position:fixed;right:16px;bottom:16px;width:min(360px,calc(100vw - 32px));max-height:calc(100vh - 32px);overflow:auto;background:#fff;border-radius:10px;box-shadow:0 6px 24px rgba(0,0,0,.25);padding:16px;z-index:2147483000}" +
    ".x{position:absolute;top:6px;right:6px;border:0;background:none;font-size:20px;cursor:pointer;min-width:32px;min-height:32px}" +
    "h2{font-size:16px;margin:0 24px 10px 0}fieldset{border:0;padding:0;margin:0 0 12px}legend{font-weight:600;padding:0;margin-bottom:6px}" +
    ".sc{display:flex;flex-wrap:wrap;gap:4px}.sc button{flex:1 0 26px;min-height:36px;border:1px solid #c9ced6;background:#fff;border-radius:5px;cursor:pointer}" +
    ".sc button[aria-checked=true]{background:var(--b);color:#fff;border-color:var(--b)}.ends{display:flex;justify-content:space-between;font-size:12px;color:#4d5560}" +
    "label{display:block;margin:3px 0;cursor:pointer}textarea,input[type=text],input[type=number],input[type=date],select{width:100%;padding:6px;border:1px solid #767f8a;border-radius:5px}" +
    ".err{color:#b00020;font-weight:600;margin:2px 0}.go{margin-top:4px;background:var(--b);color:#fff;border:0;border-radius:5px;padding:8px 18px;font-weight:600;cursor:pointer;min-height:36px}" +
    ".tab{position:fixed;right:0;top:50%;transform:rotate(-90deg) translateX(50%);transform-origin:100% 100%;background:var(--b);color:#fff;border:0;border-radius:6px 6px 0 0;padding:6px 14px;cursor:pointer;z-index:2147483000}" +
    "button:focus-visible,input:focus-visible,textarea:focus-visible,select:focus-visible{outline:3px solid #1a4fd6;outline-offset:2px}";

  function el(tag, attrs, kids) {
    var n = d.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { n.textContent = attrs[k]; } else if (attrs[k] !== null && attrs[k] !== false) { n.setAttribute(k, attrs[k]); }
    });
    (kids || []).forEach(function (c) { if (c) { n.appendChild(c); } });
    return n;
  }
  function host(colour) {
    var h = el("div", {"data-cxloop": "widget"});
    var root = h.attachShadow ? h.attachShadow({mode: "open"}) : h;
    root.appendChild(el("style", {text: CSS + ":host,.box,.tab{--b:" + colour + "}"}));
    d.body.appendChild(h);
    return {host: h, root: root};
  }
  function close() {
    if (!open) { return; }
    open.frame.host.remove();
    if (open.returnFocus && open.returnFocus.focus) { open.returnFocus.focus(); }
    open = null;
  }

  function question(q) {
    var set = el("fieldset", {"data-name": q.name});
    var id = "q-" + q.name;
    set.appendChild(el("legend", {id: id, text: q.label + (q.required ? " *" : "")}));
    if (q.help) { set.appendChild(el("p", {text: q.help})); }
    set.appendChild(el("p", {"class": "err", role: "alert", text: q.error || ""}));
    var t = q.type;
    if (q.points.length && t !== "matrix") {
      var row = el("div", {"class": "sc", role: "radiogroup", "aria-labelledby": id});
      q.points.forEach(function (p) {
        var b = el("button", {type: "button", role: "radio", "aria-checked": String(String(q.value) === String(p)), "data-v": p,
          text: q.style === "stars" ? "\u2605" : String(p), "aria-label": String(p)});
        b.addEventListener("click", function () {
          row.querySelectorAll("button").forEach(function (o) { o.setAttribute("aria-checked", String(o === b)); });
          if (open && open.single) { submit(); }
        });
        row.appendChild(b);
      });
      set.appendChild(row);
      if (q.min_label || q.max_label) {
        set.appendChild(el("div", {"class": "ends"}, [el("span", {text: q.min_label}), el("span", {text: q.max_label})]));
      }
    } else if (t === "choice" || t === "multi_choice") {
      q.options.forEach(function (o) {
        set.appendChild(el("label", {}, [el("input", {type: t === "choice" ? "radio" : "checkbox", name: q.name, value: o.key,
          checked: o.checked ? "checked" : null}), d.createTextNode(" " + o.label)]));
      });
      if (q.allow_other) { set.appendChild(el("input", {type: "text", "data-other": "1", "aria-label": ui.other, placeholder: ui.other, value: q.other || ""})); }
    } else if (t === "text") {
      set.appendChild(el(q.multiline ? "textarea" : "input", {type: q.multiline ? null : "text", rows: q.multiline ? 3 : null,
        maxlength: q.max_length, "aria-labelledby": id}));
    } else if (t === "yes_no") {
      ["yes", "no"].forEach(function (v) {
        set.appendChild(el("label", {}, [el("input", {type: "radio", name: q.name, value: v}), d.createTextNode(" " + ui[v])]));
      });
    } else if (t === "consent") {
      set.appendChild(el("label", {}, [el("input", {type: "checkbox", value: "yes"}), d.createTextNode(" " + ui.agree)]));
    } else if (t === "number" || t === "date") {
      set.appendChild(el("input", {type: t, step: t === "number" ? "any" : null, "aria-labelledby": id}));
    } else if (t === "matrix" || t === "ranking") {
      var items = t === "matrix" ? q.rows.map(function (r) { return {key: r[0], label: r[1]}; }) : q.options;
      var picks = t === "matrix" ? q.points : q.options.map(function (o, i) { return i + 1; });
      items.forEach(function (it) {
        var s = el("select", {"data-item": it.key, "aria-label": it.label}, [el("option", {value: "", text: "\u2013"})]);
        picks.forEach(function (p) { s.appendChild(el("option", {value: p, text: String(p)})); });
        set.appendChild(el("label", {}, [d.createTextNode(it.label + " "), s]));
      });
    }
    return set;
  }

  function collect(form) {
    var answers = {}, others = {};
    form.querySelectorAll("fieldset[data-name]").forEach(function (set) {
      var name = set.getAttribute("data-name"), q = open.questions[name], v = null;
      var pressed = set.querySelector("button[aria-checked=true]");
      if (pressed) { v = Number(pressed.getAttribute("data-v")); }
      else if (q.type === "multi_choice") {
        v = []; set.querySelectorAll("input:checked").forEach(function (i) { v.push(i.value); });
      } else if (q.type === "matrix" || q.type === "ranking") {
        var got = {};
        set.querySelectorAll("select").forEach(function (s) { if (s.value) { got[s.getAttribute("data-item")] = Number(s.value); } });
        v = q.type === "matrix" ? got : Object.keys(got).sort(function (a, b) { return got[a] - got[b]; });
      } else if (q.type === "consent") { v = !!set.querySelector("input:checked"); if (!v && !q.required) { v = null; } }
      else {
        var input = set.querySelector("input:checked") || set.querySelector("textarea,input[type=text]:not([data-other]),input[type=number],input[type=date]");
        v = input ? input.value : null;
      }
      var other = set.querySelector("input[data-other]");
      if (other && other.value.trim()) { others[name] = other.value.trim(); }
      if (v !== null && v !== "" && !(Array.isArray(v) && !v.length)) { answers[name] = v; }
    });
    return {answers: answers, others: others};
  }

  function render(data) {
    var box = open.box;
    while (box.childNodes.length > 1) { box.removeChild(box.lastChild); }
    var title = el("h2", {id: "cxl-t", text: data.ending ? data.ending.title : (data.page.title || open.name)});
    box.appendChild(title);
    if (data.ending) {
      if (data.ending.text) { box.appendChild(el("p", {text: data.ending.text})); }
      store("seen:" + open.survey, String(Date.now()));
      w.setTimeout(close, 5000);
      return;
    }
    ui = data.page.ui || ui;
    var form = el("form", {novalidate: "novalidate"});
    open.questions = {};
    data.page.questions.forEach(function (q) { open.questions[q.name] = q; form.appendChild(question(q)); });
    open.page = data.page.index;
    var scales = data.page.questions.filter(function (q) { return q.points.length && q.type !== "matrix"; });
    open.single = data.page.questions.length === 1 && scales.length === 1;
    if (!open.single) { form.appendChild(el("button", {type: "submit", "class": "go", text: ui.send})); }
    form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });
    box.appendChild(form);
    var first = form.querySelector("button,input,textarea,select");
    if (first) { first.focus(); }
  }

  function submit() {
    var form = open.box.querySelector("form");
    var got = collect(form);
    var state = open;
    api("/answer", {survey: state.survey, token: state.token, page: state.page, answers: got.answers,
      others: got.others, hidden: state.hidden, language: state.language, visitor: visitor}).then(function (data) {
      if (open !== state) { return; }
      if (data.status === 422 && data.errors) {
        form.querySelectorAll("fieldset[data-name]").forEach(function (set) {
          set.querySelector(".err").textContent = data.errors[set.getAttribute("data-name")] || "";
        });
        return;
      }
      if (data.status >= 400) { form.appendChild(el("p", {"class": "err", role: "alert", text: data.detail || "Not sent."})); return; }
      render(data);
    });
  }

  function show(surveyId, options) {
    if (open) { return; }
    var p = placements.filter(function (x) { return x.survey === surveyId; })[0] || {survey: surveyId, colour: "#2f6f5e", name: "", language: lang};
    var hidden = (options && options.hidden) || {};
    hidden.url = hidden.url || w.location.href;
    open = {survey: surveyId, hidden: hidden, language: p.language || lang, name: p.name, returnFocus: d.activeElement};
    var state = open;
    store("seen:" + surveyId, String(Date.now()));
    api("/start", {survey: surveyId, language: state.language, hidden: hidden, visitor: visitor}).then(function (data) {
      if (open !== state) { return; }
      if (data.status >= 400) { open = null; return; }
      state.token = data.token;
      state.language = data.language;
      state.frame = host(p.colour);
      state.box = el("div", {"class": "box", role: "dialog", "aria-labelledby": "cxl-t"},
        [el("button", {type: "button", "class": "x", "aria-label": "Close", text: "\u00d7"})]);
      state.box.firstChild.addEventListener("click", close);
      state.box.addEventListener("keydown", function (e) { if (e.key === "Escape") { close(); } });
      state.frame.root.appendChild(state.box);
      render(data);
    });
  }

  function arm(p) {
    if (p.mode === "tab") {
      if (!urlMatches(p) || !targeted(p) || tabs[p.survey]) { return; }
      var frame = host(p.colour);
      var tab = el("button", {type: "button", "class": "tab", text: p.tab_label});
      tab.addEventListener("click", function () { show(p.survey); });
      frame.root.appendChild(tab);
      tabs[p.survey] = frame;
      return;
    }
    if (p.events.length) { return; }  // waits for cxloop.track
    if (!eligible(p)) { return; }
    if (p.exit_intent) {
      d.addEventListener("mouseout", function leave(e) {
        if (!e.relatedTarget && e.clientY <= 0) { d.removeEventListener("mouseout", leave); show(p.survey); }
      });
    } else {
      w.setTimeout(function () { show(p.survey); }, p.delay_seconds * 1000);
    }
  }

  var cx = {
    loaded: true,
    track: function (name) {
      if (!ready) { pending.push(["track", name]); return; }
      placements.forEach(function (p) {
        if (p.mode === "popover" && p.events.indexOf(name) >= 0 && eligible(p)) {
          w.setTimeout(function () { show(p.survey); }, p.delay_seconds * 1000);
        }
      });
    },
    identify: function (who) { visitor = who || null; },
    open: function (surveyId, options) {
      if (!ready) { pending.push(["open", surveyId, options]); return; }
      show(Number(surveyId), options);
    },
    close: close
  };
  w.cxloop = cx;
  queued.forEach(function (call) { if (cx[call[0]]) { cx[call[0]].apply(null, call.slice(1)); } });

  api("/config?lang=" + encodeURIComponent(lang)).then(function (data) {
    placements = data.placements || [];
    ready = true;
    placements.forEach(arm);
    pending.splice(0).forEach(function (call) { cx[call[0]].apply(null, call.slice(1)); });
  });
})(window, document);
