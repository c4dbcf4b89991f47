// Live points while a unit or an appraiser types: the form is sent to the preview endpoint,
// which computes with the same scoring engine as every page and export (nothing is saved).
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
    document.querySelectorAll("[data-total]").forEach((el) => { el.textContent = data.total; });
    document.querySelectorAll("[data-maximum]").forEach((el) => { el.textContent = data.maximum; });
    document.querySelectorAll("[data-index]").forEach((el) => { el.textContent = data.index; });
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
  // Inputs join the form through their form= attribute, outside its subtree: listen on the document.
  const mine = (e) => e.target.form === form;
  document.addEventListener("input", (e) => { if (mine(e)) { clearTimeout(timer); timer = setTimeout(preview, 300); } });
  document.addEventListener("change", (e) => { if (mine(e)) { clearTimeout(timer); timer = setTimeout(preview, 50); } });
  // A not-applicable tick greys out the leaf's inputs.
  document.querySelectorAll("input[data-na]").forEach((box) => {
    const sync = () => box.closest("[data-leaf]").classList.toggle("is-na", box.checked);
    box.addEventListener("change", sync);
    sync();
  });
})();
