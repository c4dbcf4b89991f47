// The forms that add evidence (upload files, attach an uploaded file, cite an official document) are
// the same for every leaf of the self-assessment: the page sends them once, in
// <template id="evidence-forms">, and they are copied here into each leaf's slot with the leaf's ids,
// addresses and return link. A 120-leaf page no longer carries 120 copies of them and of the list of
// files. Without JavaScript the slot shows a link that reopens the page with that leaf's forms
// written out by the server (?tai-lieu=<criterion id>).
//
// The forms marked data-inplace are sent with fetch and answered in JSON (scoring/views/evidence.py):
// the leaf's evidence block comes back re-rendered and replaces the old one, so adding a file no
// longer reloads the whole page (the product's most expensive request) nor loses the scroll
// position and the values typed elsewhere. Without an answer to read (network down, session
// expired, server error) the form stays as it was, with a sentence asking to reload and check:
// sending it again could add the same document twice.
(function () {
  const template = document.getElementById("evidence-forms");
  if (!template) return;
  const placeholder = /__(ev|leaf|next)__/g;
  const here = window.location.pathname + window.location.search;

  // Copy the forms into every slot under `root`: the page, or a leaf's evidence block just replaced.
  function fill(root) {
    root.querySelectorAll("[data-evidence-forms]").forEach((slot) => {
      const evId = slot.closest(".evidence").id;
      const values = { __ev__: evId, __leaf__: slot.dataset.evidenceForms, __next__: `${here}#${evId}` };
      const copy = template.content.cloneNode(true);
      copy.querySelectorAll("[id], [for], form[action], input[name=next]").forEach((el) => {
        for (const name of ["id", "for", "action", "value"]) {
          const value = el.getAttribute(name);
          if (value && value.includes("__")) el.setAttribute(name, value.replace(placeholder, (m) => values[m]));
        }
      });
      slot.replaceWith(copy);
    });
  }

  // An upload adds a file to the lists every leaf offers ("Tệp đã tải lên"): take the page's forms
  // as the server now writes them, and refresh the lists already copied, keeping what is chosen.
  function refreshFiles(forms) {
    template.innerHTML = forms;
    const fresh = template.content;
    const hasFiles = fresh.querySelectorAll("[data-file-options] option[value]:not([value=''])").length > 0;
    document.querySelectorAll("[data-file-options]").forEach((select) => {
      const source = fresh.querySelector(`[data-file-options][name="${CSS.escape(select.name)}"]`);
      if (!source) return;
      const chosen = select.value;
      select.innerHTML = source.innerHTML;
      select.value = chosen;
    });
    document.querySelectorAll("[data-needs-files]").forEach((el) => { el.hidden = !hasFiles; });
  }

  // The answer's sentence, where the eye is: above the leaf's new list, or under the refused form.
  function say(text, error, { before, after }) {
    const note = document.createElement("p");
    note.className = "evidence-status" + (error ? " is-error" : "");
    note.setAttribute("role", error ? "alert" : "status");
    note.tabIndex = -1;
    note.dataset.evidenceStatus = "";
    note.textContent = text;
    if (before) before.prepend(note); else after.after(note);
    return note;
  }

  async function send(form) {
    const box = form.closest(".evidence");
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    let data = null;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-Requested-With": "fetch" },
      });
      if ((response.headers.get("Content-Type") || "").includes("application/json")) data = await response.json();
    } catch (err) {
      data = null;
    }
    buttons.forEach((b) => { b.disabled = false; });
    box.querySelectorAll("[data-evidence-status]").forEach((el) => el.remove());
    if (!data) {
      // No answer to read: the server may or may not have saved it, and sending the form again
      // could cite the same document twice. Say so; what was chosen and typed stays in the form.
      say(template.dataset.failed, true, { after: form });
      return;
    }
    if (data.forms) refreshFiles(data.forms);
    if (!data.html) {
      // Refused: the form keeps what was chosen and typed, to correct and send again.
      say(data.message, true, { after: form });
      return;
    }
    const holder = document.createElement("template");
    holder.innerHTML = data.html.trim();
    const block = holder.content.firstElementChild;
    box.replaceWith(block);
    fill(block);
    // The button that had the focus is gone with the old block: give it to the sentence.
    say(data.message, !data.ok, { before: block }).focus({ preventScroll: true });
  }

  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (!form.matches("form[data-inplace]") || !form.closest(".evidence") || !window.fetch) return;
    e.preventDefault();
    send(form);
  });
  fill(document);
})();
