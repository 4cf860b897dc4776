// Dense data tables: a header row, body rows of cells, and a message when there is nothing.
import { h, type Child } from "./dom.js";

/** One column: its heading and whether its cells are numbers (right-aligned). */
export interface Column {
  label: string;
  numeric?: boolean;
}

/** A table with `columns` and `rows`; `empty` is shown when there are no rows. */
export function dataTable(columns: Column[], rows: Array<{ cells: Child[]; attrs?: Record<string, string> }>, empty: string): HTMLElement {
  if (rows.length === 0) return h("p", { class: "empty" }, empty);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data" },
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.numeric === true ? "num" : null }, c.label)))),
      h(
        "tbody",
        {},
        rows.map((row) => h("tr", row.attrs ?? {}, row.cells.map((cell, i) => h("td", { class: columns[i]?.numeric === true ? "num" : null }, cell)))),
      ),
    ),
  );
}

/** A link to another view of the dashboard. */
export function viewLink(hash: string, label: string, attrs: Record<string, string> = {}): HTMLAnchorElement {
  return h("a", { href: hash, ...attrs }, label);
}
