/**
 * The report's only script: click a column header to sort that table by it (again to reverse).
 * Plain DOM, no library, wired with addEventListener because the page's Content-Security-Policy
 * allows this exact script (by its hash) and no inline event handler. A header's `data-sort`
 * says how to compare: `number` (a cell's `data-sort-value` or text; non-numbers last) or `text`.
 */
export const SORT_SCRIPT = `
(() => {
  'use strict';
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  const keyOf = (row, column) => {
    const cell = row.cells[column];
    return cell.getAttribute('data-sort-value') ?? cell.textContent.trim();
  };
  // Absentees have no row number: they stay last whichever way the numbers go.
  const compare = (a, b, numeric, direction) => {
    if (!numeric) return direction * collator.compare(a, b);
    const [x, y] = [a === '' ? NaN : Number(a), b === '' ? NaN : Number(b)];
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) - Number.isNaN(y);
    return direction * (x - y);
  };
  for (const button of document.querySelectorAll('table.sortable th[data-sort] > button')) {
    button.addEventListener('click', () => {
      const header = button.parentElement;
      const table = header.closest('table');
      const ascending = header.getAttribute('aria-sort') !== 'ascending';
      const numeric = header.getAttribute('data-sort') === 'number';
      for (const other of table.querySelectorAll('th[aria-sort]')) other.removeAttribute('aria-sort');
      header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      const body = table.tBodies[0];
      const rows = [...body.rows].map((row) => ({ row, key: keyOf(row, header.cellIndex) }));
      rows.sort((a, b) => compare(a.key, b.key, numeric, ascending ? 1 : -1));
      body.append(...rows.map((r) => r.row));
    });
  }
})();
`;
