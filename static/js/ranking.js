// Find a unit in a long ranking: rows whose code or name does not contain every word typed are
// hidden, in every table named by data-filter-rows. Accents are ignored ("truong so 5" finds
// "Trường THPT số 5"). Nothing is fetched: the whole ranking stays on the page for Ctrl+F and print.
(function () {
  const input = document.querySelector("input[data-filter-rows]");
  if (!input) return;
  const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase().trim();
  const tables = Array.from(document.querySelectorAll(input.dataset.filterRows));
  const rows = tables.map((table) =>
    Array.from(table.tBodies[0].rows).map((row) => {
      const code = row.querySelector("code");
      const name = code ? code.parentElement.nextElementSibling : null;
      return { row, key: fold((code ? code.textContent : "") + " " + (name ? name.textContent : "")) };
    })
  );
  const count = document.querySelector("[data-filter-count]");
  input.closest("[hidden]").hidden = false;
  input.addEventListener("input", () => {
    const words = fold(input.value).split(/\s+/).filter(Boolean);
    let shown = 0;
    rows.forEach((list, i) => list.forEach(({ row, key }) => {
      const match = words.every((word) => key.includes(word));
      row.hidden = !match;
      if (match && i === 0) shown += 1;
    }));
    if (count) count.textContent = words.length ? `${shown} / ${rows[0].length}` : "";
  });
})();
