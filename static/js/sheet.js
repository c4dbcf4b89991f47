// Live points while a unit or an appraiser types: the form is sent to the preview endpoint,
// which computes with the same scoring engine as every page and export (nothing is saved).
//
// Saving in place: “Lưu” sends with fetch only the leaves changed since the page loaded or since
// they were last saved, and the server answers in JSON (scoring/views/assessment.py,
// _save_in_place) with the message, each refused leaf's reason and the page's new figures. The
// page is not reloaded (with 40–150 leaves it is the product's most expensive request) and a page
// left open no longer writes its stale values over what a colleague saved on other leaves since.
// Anything but a JSON answer (network down, session expired, server error) falls back to the plain
// form post, which sends every leaf as without JavaScript: nothing typed is lost.
(function () {
  const form = document.querySelector("form[data-preview-url]");
  if (!form) return;
  let timer = null;
  let inflight = null;
  function update(data) {
    for (const [code, leaf] of Object.entries(data.leaves)) {
      const box = document.querySelector(`[data-leaf="${CSS.escape(code)}"]`);
      if (!box) continue;
      const pts = box.querySelector("[data-points]");
      const rate = box.querySelector("[data-rate]");
      const err = box.querySelector("[data-live-error]");
      if (pts) pts.textContent = leaf.points === "" ? "–" : leaf.points;
      if (rate) rate.textContent = leaf.rate;
      if (err) { err.textContent = leaf.error; err.hidden = !leaf.error; }
      const inputs = box.querySelector(".inputs");
      if (inputs) inputs.classList.toggle("has-error", !!leaf.error);
    }
    for (const [code, points] of Object.entries(data.nodes)) {
      document.querySelectorAll(`[data-node="${CSS.escape(code)}"]`).forEach((el) => { el.textContent = points; });
    }
    // The totals of the stage being entered (beside the save button); the page's header also shows
    // the self-assessment's, which only the self-assessment changes (not an appraisal).
    const totals = [["total", data.total], ["maximum", data.maximum], ["index", data.index]];
    const selfStage = (form.querySelector("input[name=_stage]") || {}).value === "self";
    for (const [name, value] of totals) {
      document.querySelectorAll(`[data-${name}]`).forEach((el) => { el.textContent = value; });
      if (selfStage) document.querySelectorAll(`[data-self-${name}]`).forEach((el) => { el.textContent = value; });
    }
    document.querySelectorAll("[data-done]").forEach((el) => { el.textContent = data.done; });
    document.querySelectorAll("[data-todo]").forEach((el) => { el.textContent = data.todo; });
  }
  function preview() {
    if (inflight) inflight.abort();
    inflight = new AbortController();
    fetch(form.dataset.previewUrl, { method: "POST", body: new FormData(form), signal: inflight.signal, credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => { if (data) update(data); })
      .catch(() => {});
  }

  // ---- which leaves hold values not saved yet
  // A leaf's fields are named c<pk>-…; its card [data-leaf] says its code, the server's key.
  const prefixOf = {};
  document.querySelectorAll("[data-leaf]").forEach((box) => {
    const present = box.querySelector('input[name$="-present"]');
    if (present && present.form === form) prefixOf[box.dataset.leaf] = present.name.replace(/-present$/, "");
  });
  const edits = new Map(); // code -> edits since its last save: a leaf typed into while saving stays unsaved
  function mark(code, dirty) {
    const box = document.querySelector(`[data-leaf="${CSS.escape(code)}"]`);
    if (box) box.classList.toggle("is-dirty", dirty);
  }
  function touched(target) {
    const code = target.closest("[data-leaf]")?.dataset.leaf;
    if (!code || !(code in prefixOf)) return;
    edits.set(code, (edits.get(code) || 0) + 1);
    mark(code, true);
  }
  // A page the server sent back with refused values holds them unsaved.
  document.querySelectorAll("[data-leaf].has-error").forEach((box) => {
    if (box.dataset.leaf in prefixOf) { edits.set(box.dataset.leaf, 1); mark(box.dataset.leaf, true); }
  });

  // Inputs join the form through their form= attribute, outside its subtree: listen on the document.
  const mine = (e) => e.target.form === form;
  document.addEventListener("input", (e) => { if (mine(e)) { touched(e.target); clearTimeout(timer); timer = setTimeout(preview, 300); } });
  document.addEventListener("change", (e) => { if (mine(e)) { touched(e.target); clearTimeout(timer); timer = setTimeout(preview, 50); } });
  // A not-applicable tick greys out the leaf's inputs.
  document.querySelectorAll("input[data-na]").forEach((box) => {
    const sync = () => box.closest("[data-leaf]").classList.toggle("is-na", box.checked);
    box.addEventListener("change", sync);
    sync();
  });

  // ---- saving in place
  // The live region must exist, empty, before anything is written in it for screen readers to
  // announce it: the page's own ([data-save-status]) or one added now, beside the button.
  const bar = document.querySelector(".savebar");
  let status = document.querySelector("[data-save-status]");
  if (!status) {
    status = document.createElement("span");
    status.className = "save-status";
    status.setAttribute("role", "status");
    if (bar) bar.insertBefore(status, bar.querySelector("button") || null);
  }
  let leaving = false; // the fallback's own navigation is not “leaving with unsaved values”
  let saving = false;

  function body(codes) {
    const wanted = new Set(codes.map((code) => `${prefixOf[code]}-`));
    const data = new FormData();
    for (const [name, value] of new FormData(form)) {
      const leaf = /^c\d+-/.exec(name);
      if (!leaf || wanted.has(leaf[0])) data.append(name, value); // the token, _stage and the changed leaves
    }
    return data;
  }
  function busy(yes) {
    saving = yes;
    for (const el of form.elements) if (el.type === "submit") el.disabled = yes;
    if (bar) bar.setAttribute("aria-busy", String(yes));
  }
  async function save() {
    const sent = new Map(edits);
    const codes = [...sent.keys()];
    busy(true);
    // The answer carries the figures; a preview landing after it would wipe the reasons it gives.
    clearTimeout(timer);
    if (inflight) inflight.abort();
    let data = null;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: body(codes),
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-Requested-With": "fetch" },
      });
      if ((response.headers.get("Content-Type") || "").includes("application/json")) data = await response.json();
    } catch (err) {
      data = null;
    }
    busy(false);
    if (!data) {
      leaving = true;
      form.submit();
      return;
    }
    const errors = data.errors || {};
    if (data.leaves) {
      update(data);
      for (const code of codes) {
        if (!(code in errors) && edits.get(code) === sent.get(code)) { edits.delete(code); mark(code, false); }
      }
    }
    // Emptied first: the same sentence twice (“Đã lưu 1 tiêu chí.”) is still announced twice.
    status.textContent = "";
    status.classList.toggle("is-error", !data.ok);
    setTimeout(() => { status.textContent = data.message; }, 50);
    // Typed into while saving: the figures just written are the saved ones; show the typed ones again.
    if ([...edits].some(([code, n]) => sent.get(code) !== n)) preview();
  }
  form.addEventListener("submit", (e) => {
    if (!window.fetch || leaving) return;
    e.preventDefault();
    if (!saving) save();
  });
  window.addEventListener("beforeunload", (e) => {
    if (leaving || !edits.size) return;
    e.preventDefault();
    e.returnValue = ""; // browsers show their own words
  });
})();
