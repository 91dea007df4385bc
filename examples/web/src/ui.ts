// The page's few shared parts: finding elements, table cells, the notice
// line, and showing one view at a time.

export function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from index.html`);
  return found as T;
}

/** The value of an input, as typed. */
export function field(id: string): string {
  return element<HTMLInputElement>(id).value;
}

/** A table cell holding `text`. */
export function cell(text: string): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

/** A date-time of the API in the reader's own words; `none` when null. */
export function when(at: string | null | undefined, none = "never"): string {
  return at ? new Date(at).toLocaleString() : none;
}

const notice = element<HTMLParagraphElement>("notice");

/** Shows `text` in the notice line (none: hides it), with a button that
 *  runs `action` when one is given. */
export function say(text: string | null, action?: { label: string; run: () => void }): void {
  notice.replaceChildren(text ?? "");
  if (action) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = action.label;
    button.addEventListener("click", action.run);
    notice.append(" ", button);
  }
  notice.hidden = text === null;
}

/** Shows the view whose id is `id` and hides the others (all, for null). */
export function show(id: string | null): void {
  for (const view of document.querySelectorAll<HTMLElement>(".view")) view.hidden = view.id !== id;
}

/** Puts `path` in the address bar without loading a page, dropping any
 *  `#token=...`, so that a used link's token does not stay on screen or in
 *  the history. */
export function goTo(path: string): void {
  history.replaceState(null, "", path);
}
