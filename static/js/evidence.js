// The forms that add evidence (upload files, attach an uploaded file, cite an official document) are
// the same for every leaf of the self-assessment: the page sends them once, in
// <template id="evidence-forms">, and they are copied here into each leaf's slot with the leaf's ids,
// addresses and return link. A 120-leaf page no longer carries 120 copies of them and of the list of
// files. Without JavaScript the slot shows a link that reopens the page with that leaf's forms
// written out by the server (?tai-lieu=<criterion id>).
(function () {
  const template = document.getElementById("evidence-forms");
  if (!template) return;
  const placeholder = /__(ev|leaf|next)__/g;
  const here = window.location.pathname + window.location.search;
  document.querySelectorAll("[data-evidence-forms]").forEach((slot) => {
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
})();
