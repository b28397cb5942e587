/* quinte review UI: keyboard shortcuts, evidence boxes, word picking, saves through the JSON API. No framework. */
(function () {
  "use strict";

  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
  const isTyping = (el) => el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));

  // Every write names the session's CSRF token and says it came from this screen (the audit shows "ui").
  async function api(method, url, body) {
    const response = await fetch(url, {
      method: method,
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf, "X-Quinte-Via": "ui"},
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return {ok: response.ok, status: response.status, data: data};
  }

  function detail(result) {
    const d = result.data && result.data.detail;
    if (typeof d === "string") return d;
    if (Array.isArray(d)) return d.map((item) => item.msg || String(item)).join("; ");
    return "the server answered " + result.status;
  }

  // Messages are set with textContent: whatever a server or a document says is never parsed as HTML.
  function flash(text, kind) {
    const box = $("#message");
    if (!box) { window.alert(text); return; }
    box.textContent = text;
    box.className = "flash " + (kind || "error");
    box.hidden = false;
  }

  function openHelp() { const help = $("#help"); if (help && !help.open) help.showModal(); }

  document.addEventListener("keydown", (event) => {
    if ((event.key === "?" && !isTyping(event.target)) || (event.altKey && event.key === "/")) {
      event.preventDefault();
      openHelp();
    } else if (event.key === "n" && !isTyping(event.target) && document.body.classList.contains("page-queue")) {
      event.preventDefault();
      $("#next-form").requestSubmit();
    }
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest('[data-action="help"]');
    if (button) openHelp();
  });
  document.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    let text = "the server answered " + xhr.status;
    try { text = JSON.parse(xhr.responseText).detail || text; } catch (e) { /* an HTML error page */ }
    flash(String(text));
  });

  // Intake: upload through the API, show the outcome as text, refresh the log.
  const upload = $("#upload-form");
  if (upload) {
    upload.addEventListener("submit", async (event) => {
      event.preventDefault();
      const result = $("#upload-result");
      const response = await fetch(upload.action, {method: "POST", body: new FormData(upload),
        headers: {"X-CSRF-Token": csrf, "X-Quinte-Via": "ui"}, credentials: "same-origin"});
      let data = {};
      try { data = await response.json(); } catch (e) { data = {}; }
      result.hidden = false;
      result.className = "flash " + (response.ok ? "ok" : "error");
      result.textContent = response.ok
        ? data.outcome + (data.reason ? ": " + data.reason : "") + (data.id ? " (record " + data.id + ")" : "")
        : detail({data: data, status: response.status});
      htmx.trigger(document.body, "quinte:uploaded");
      upload.reset();
    });
  }

  const root = $("#record");
  if (root) initRecord(root);

  function initRecord(root) {
    const recordId = root.dataset.recordId;
    const viewport = $("#viewport");
    const confirmed = new Set();
    let current = null;
    let zoom = 0;  // 0 = fit the width
    let busy = false;

    const version = () => Number(root.dataset.version);
    function setVersion(v) {
      root.dataset.version = String(v);
      $("#record-version").textContent = String(v);
      const typeVersion = $("#type-version");
      if (typeVersion) typeVersion.value = String(v);
    }
    const lockState = () => ($("#lock") || {dataset: {}}).dataset.state;
    const canEdit = () => root.dataset.editable === "true" && lockState() === "mine";
    const inputs = () => $$(".field-input");

    function applyEditability() {
      const editable = canEdit();
      $$(".field-input, #lines input").forEach((input) => { input.readOnly = !editable; });
    }
    document.body.addEventListener("htmx:afterSwap", (event) => {
      if (event.detail.target && event.detail.target.id === "lock") applyEditability();
    });
    document.body.addEventListener("htmx:afterSettle", applyEditability);

    function valueOf(input) {
      const text = input.value.trim();
      if (text === "") return null;
      if (input.dataset.json === "1") {
        try { return JSON.parse(text); } catch (e) { return text; }
      }
      return text;
    }

    function markSaved(input, who) {
      input.dataset.original = input.value;
      const row = input.closest(".field");
      row.className = "field conf-human";
      $(".conf", row).textContent = "checked by " + who;
      confirmed.add(input.name);
    }

    async function saveFields(list) {
      if (!canEdit()) { flash("You do not hold the lease on this record, so you cannot save."); return false; }
      const fields = {};
      list.forEach((input) => { fields[input.name] = valueOf(input); });
      const result = await api("PATCH", "/api/records/" + recordId + "/fields", {version: version(), fields: fields});
      if (!result.ok) {
        flash(result.status === 409 ? "Not saved: " + detail(result) : "Not saved (" + result.status + "): " + detail(result));
        return false;
      }
      setVersion(result.data.version);
      list.forEach((input) => markSaved(input, root.dataset.username));
      $("#message").hidden = true;
      htmx.trigger(document.body, "quinte:changed");
      return true;
    }

    const dirty = () => inputs().filter((input) => input.value !== input.dataset.original);

    function nextNeedingAttention(from) {
      const all = inputs();
      const start = all.indexOf(from);
      for (let step = 1; step <= all.length; step++) {
        const candidate = all[(start + step) % all.length];
        if (candidate.closest(".field").classList.contains("attention") && !confirmed.has(candidate.name)) return candidate;
      }
      return null;
    }

    async function confirmField(input) {
      if (input.value !== input.dataset.original && !(await saveFields([input]))) return;
      confirmed.add(input.name);
      input.closest(".field").classList.remove("attention");
      const next = nextNeedingAttention(input);
      (next || $("#approve")).focus();
    }

    async function decide(kind, reason) {
      if (busy) return;
      busy = true;
      try {
        const pending = dirty();
        if (kind === "approve" && pending.length && !(await saveFields(pending))) return;
        const body = {version: version()};
        if (reason) body.reason = reason;
        const result = await api("POST", "/api/records/" + recordId + "/" + kind, body);
        if (!result.ok) { flash("Not " + (kind === "approve" ? "approved" : "rejected") + ": " + detail(result)); return; }
        $("#next-form").requestSubmit();
      } finally {
        busy = false;
      }
    }

    // Pages, zoom and the evidence boxes.
    const pages = () => $$(".page", viewport);
    const shownPage = () => pages().find((page) => !page.hidden);

    function showPage(number) {
      pages().forEach((page) => { page.hidden = Number(page.dataset.page) !== number; });
      $$(".page-tab").forEach((tab) => tab.classList.toggle("current", Number(tab.dataset.gotoPage) === number));
      const page = shownPage();
      if (page) { applyZoom(); loadWords(page); }
    }

    function applyZoom() {
      const page = shownPage();
      if (!page) return;
      page.style.width = zoom ? Math.round(Number(page.dataset.width) * zoom) + "px" : "100%";
      $("#zoom-label").textContent = zoom ? Math.round(zoom * 100) + "%" : "fit";
    }

    function setZoom(how) {
      const page = shownPage();
      if (!page) return;
      const fit = viewport.clientWidth / Number(page.dataset.width);
      const now = zoom || fit;
      zoom = how === "fit" ? 0 : Math.min(4, Math.max(0.1, how === "in" ? now * 1.25 : now / 1.25));
      applyZoom();
    }

    function scrollToBox(rect) {
      const page = rect.ownerSVGElement.closest(".page");
      const scale = page.clientWidth / Number(page.dataset.width);
      const x = page.offsetLeft + Number(rect.getAttribute("x")) * scale;
      const y = page.offsetTop + Number(rect.getAttribute("y")) * scale;
      viewport.scrollTo({left: Math.max(0, x - viewport.clientWidth / 3), top: Math.max(0, y - viewport.clientHeight / 3)});
    }

    function focusField(input) {
      current = input;
      $$(".field.focused").forEach((row) => row.classList.remove("focused"));
      input.closest(".field").classList.add("focused");
      $$("rect.box.active").forEach((rect) => rect.classList.remove("active"));
      const pageNumber = Number(input.dataset.page);
      if (pageNumber && shownPage() && Number(shownPage().dataset.page) !== pageNumber) showPage(pageNumber);
      const box = $$("rect.box").find((rect) => rect.dataset.field === input.name);
      if (box) { box.classList.add("active"); scrollToBox(box); }
    }

    async function loadWords(page) {
      if (page.dataset.wordsLoaded) return;
      page.dataset.wordsLoaded = "1";
      const result = await api("GET", "/api/records/" + recordId + "/pages/" + page.dataset.page + "/words");
      if (!result.ok) return;
      const group = $("g.words", page);
      const ns = "http://www.w3.org/2000/svg";
      result.data.words.forEach((word) => {
        const rect = document.createElementNS(ns, "rect");
        const [x0, y0, x1, y1] = word.bbox;
        rect.setAttribute("class", "word");
        rect.setAttribute("x", x0); rect.setAttribute("y", y0);
        rect.setAttribute("width", Math.max(1, x1 - x0)); rect.setAttribute("height", Math.max(1, y1 - y0));
        rect.dataset.seq = word.seq;
        rect.dataset.text = word.text;
        const title = document.createElementNS(ns, "title");
        title.textContent = word.text;
        rect.appendChild(title);
        group.appendChild(rect);
      });
    }

    // Clicking a word, or dragging a rectangle over several, fills the focused field with their text.
    function svgPoint(svg, event) {
      const point = svg.createSVGPoint();
      point.x = event.clientX; point.y = event.clientY;
      return point.matrixTransform(svg.getScreenCTM().inverse());
    }

    function fillFromWords(words) {
      if (!current || !words.length) return;
      if (!canEdit()) { flash("You do not hold the lease on this record, so you cannot edit it."); return; }
      words.sort((a, b) => Number(a.dataset.seq) - Number(b.dataset.seq));
      current.value = words.map((word) => word.dataset.text).join(" ");
      current.focus();
      current.select();
    }

    let drag = null;
    $$("svg.overlay", viewport).forEach((svg) => {
      svg.addEventListener("mousedown", (event) => {
        event.preventDefault();  // keep the focus in the field being filled
        if (event.button === 1 || event.altKey) {
          drag = {pan: true, x: event.clientX, y: event.clientY, left: viewport.scrollLeft, top: viewport.scrollTop};
          return;
        }
        if (event.button !== 0) return;
        drag = {svg: svg, start: svgPoint(svg, event), target: event.target, moved: false};
      });
    });
    document.addEventListener("mousemove", (event) => {
      if (!drag) return;
      if (drag.pan) {
        viewport.scrollLeft = drag.left - (event.clientX - drag.x);
        viewport.scrollTop = drag.top - (event.clientY - drag.y);
        return;
      }
      const p = svgPoint(drag.svg, event);
      const sel = $("rect.selection", drag.svg);
      const x = Math.min(p.x, drag.start.x), y = Math.min(p.y, drag.start.y);
      const w = Math.abs(p.x - drag.start.x), h = Math.abs(p.y - drag.start.y);
      drag.moved = drag.moved || w > 4 || h > 4;
      drag.box = {x0: x, y0: y, x1: x + w, y1: y + h};
      sel.setAttribute("x", x); sel.setAttribute("y", y); sel.setAttribute("width", w); sel.setAttribute("height", h);
      sel.setAttribute("visibility", drag.moved ? "visible" : "hidden");
    });
    document.addEventListener("mouseup", () => {
      if (!drag) return;
      const done = drag;
      drag = null;
      if (done.pan) return;
      $("rect.selection", done.svg).setAttribute("visibility", "hidden");
      if (!done.moved) {
        if (done.target.classList && done.target.classList.contains("word")) fillFromWords([done.target]);
        return;
      }
      const b = done.box;
      fillFromWords($$("rect.word", done.svg).filter((rect) => {
        const x0 = Number(rect.getAttribute("x")), y0 = Number(rect.getAttribute("y"));
        const x1 = x0 + Number(rect.getAttribute("width")), y1 = y0 + Number(rect.getAttribute("height"));
        return x0 < b.x1 && x1 > b.x0 && y0 < b.y1 && y1 > b.y0;
      }));
    });

    // Line items.
    function lineRows() {
      return $$("#lines tbody tr").map((row) => {
        const line = {};
        $$("input", row).forEach((input) => { if (input.value.trim()) line[input.dataset.col] = input.value.trim(); });
        return line;
      }).filter((line) => Object.keys(line).length);
    }
    async function saveLines() {
      if (!canEdit()) { flash("You do not hold the lease on this record, so you cannot save."); return; }
      const result = await api("PATCH", "/api/records/" + recordId + "/lines", {version: version(), lines: lineRows()});
      if (!result.ok) { flash("Lines not saved: " + detail(result)); return; }
      setVersion(result.data.version);
      flash("Line items saved.", "ok");
      htmx.trigger(document.body, "quinte:changed");
    }

    // Dialogs.
    function openDialog(id, focus) {
      if (!$("#approve") || $("#approve").disabled) return;
      $(id).showModal();
      $(focus).focus();
    }
    $("#reject-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const reason = $("#reject-reason").value.trim();
      if (!reason) return;
      $("#reject-dialog").close();
      decide("reject", reason);
    });
    $("#reject-reason").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("#reject-form").requestSubmit(); }
    });
    $("#type-select").addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); $("#type-form").requestSubmit(); }
    });

    root.addEventListener("click", (event) => {
      const el = event.target.closest("[data-action], [data-goto-page], [data-zoom]");
      if (!el) return;
      if (el.dataset.gotoPage) showPage(Number(el.dataset.gotoPage));
      else if (el.dataset.zoom) setZoom(el.dataset.zoom);
      else if (el.dataset.action === "approve") decide("approve");
      else if (el.dataset.action === "reject") openDialog("#reject-dialog", "#reject-reason");
      else if (el.dataset.action === "doctype") openDialog("#type-dialog", "#type-select");
      else if (el.dataset.action === "close-dialog") el.closest("dialog").close();
      else if (el.dataset.action === "add-line") {
        $("#lines tbody").appendChild($("#line-template").content.cloneNode(true));
        $("#lines tbody tr:last-child input").focus();
      } else if (el.dataset.action === "remove-line") el.closest("tr").remove();
      else if (el.dataset.action === "save-lines") saveLines();
    });

    root.addEventListener("focusin", (event) => {
      if (event.target.classList.contains("field-input")) focusField(event.target);
    });

    document.addEventListener("keydown", (event) => {
      const target = event.target;
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        decide("approve");
      } else if (event.key === "Enter" && target.classList && target.classList.contains("field-input")) {
        event.preventDefault();
        confirmField(target);
      } else if (event.key === "Enter" && target.closest && target.closest("#lines")) {
        event.preventDefault();
        saveLines();
      } else if (event.key === "Escape" && target.classList && target.classList.contains("field-input")) {
        target.value = target.dataset.original;
      } else if (event.altKey && !event.ctrlKey) {
        const actions = {
          r: () => openDialog("#reject-dialog", "#reject-reason"),
          t: () => openDialog("#type-dialog", "#type-select"),
          n: () => $("#next-form").requestSubmit(),
          l: () => { const first = $("#lines input"); if (first) first.focus(); },
          ArrowRight: () => stepPage(1),
          ArrowLeft: () => stepPage(-1),
          "+": () => setZoom("in"), "=": () => setZoom("in"), "-": () => setZoom("out"), "0": () => setZoom("fit"),
        };
        const action = actions[event.key.length === 1 ? event.key.toLowerCase() : event.key];
        if (action) { event.preventDefault(); action(); }
      }
    });

    function stepPage(delta) {
      const all = pages();
      const index = all.indexOf(shownPage());
      const next = all[index + delta];
      if (next) showPage(Number(next.dataset.page));
    }

    // Leaving for the queue hands the lease back at once instead of letting it run out.
    $$('a[href^="/queue"]', root).forEach((link) => link.addEventListener("click", async (event) => {
      if (lockState() !== "mine") return;
      event.preventDefault();
      await fetch("/records/" + recordId + "/release", {method: "POST", headers: {"X-CSRF-Token": csrf},
        credentials: "same-origin"});
      window.location.href = link.href;
    }));

    applyEditability();
    const first = shownPage();
    if (first) loadWords(first);
    const start = inputs().find((input) => input.closest(".field").classList.contains("attention")) || inputs()[0];
    if (start) start.focus();
  }
})();
