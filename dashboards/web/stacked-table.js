// Tables that turn into stacked rows on a phone (style.css, "phone layout"): each cell gets its
// column's header as data-label, shown before the value when the header row is hidden. The pages
// fill their tables from code at every refresh, so labels are set again whenever a body changes.

function label(table) {
  const heads = [...(table.tHead?.rows[0]?.cells ?? [])].map((th) => th.textContent.trim());
  if (!heads.length) return;
  for (const body of table.tBodies) {
    for (const tr of body.rows) {
      let col = 0;
      for (const td of tr.cells) {
        const want = heads[col] ?? '';
        if (td.dataset.label !== want) td.dataset.label = want;
        col += td.colSpan || 1;
      }
    }
  }
}

function watch(table) {
  table.classList.add('stacked');
  label(table);
  new MutationObserver(() => label(table)).observe(table, { childList: true, subtree: true });
}

for (const t of document.querySelectorAll('main table')) if (t.tHead) watch(t);
