// The dialog in which an operator changes one key's limits: concurrency and rate, prefilled with
// what applies now. It only collects the setting; the Limits view sends it (PUT /limits/…).
import type { LimitChangeBody, LimitView } from "./api.js";
import { h } from "./dom.js";

function numberField(label: string, name: string, value: number | null, hint: string): HTMLLabelElement {
  return h(
    "label",
    { class: "field" },
    h("span", {}, label),
    h("input", { type: "number", name, min: "0", step: "1", inputmode: "numeric", value: value === null ? "" : String(value), placeholder: hint }),
  );
}

/** Reads a whole number from a field; null when empty, NaN when not a whole number. */
function wholeNumber(form: HTMLFormElement, name: string): number | null {
  const text = (form.elements.namedItem(name) as HTMLInputElement).value.trim();
  if (text === "") return null;
  return /^\d+$/.test(text) ? Number(text) : NaN;
}

/** What the form says, or a sentence naming what is wrong. */
function changeOf(form: HTMLFormElement): LimitChangeBody | string {
  const concurrency = wholeNumber(form, "concurrency");
  const limit = wholeNumber(form, "rate_limit");
  const period = wholeNumber(form, "period_ms");
  const burst = wholeNumber(form, "burst");
  if ([concurrency, limit, period, burst].some((n) => Number.isNaN(n))) return "Each value must be a whole number.";
  if ((limit === null) !== (period === null)) return "A rate needs both its starts and its period.";
  if (limit === null && burst !== null) return "A burst needs a rate.";
  if (concurrency === null && limit === null) return "Give a concurrency, a rate, or both.";
  const change: LimitChangeBody = {};
  if (concurrency !== null) change.concurrency = concurrency;
  if (limit !== null && period !== null) change.rate = { limit, period_ms: period, burst: burst ?? 1 };
  return change;
}

/** Asks for a key's new limits; resolves the setting to store, or null when the operator backs out. */
export function editLimit(current: LimitView): Promise<LimitChangeBody | null> {
  return new Promise((resolve) => {
    const problem = h("p", { class: "form-problem", role: "alert", "data-testid": "limit-form-problem" });
    const cancel = h("button", { type: "button", class: "btn", "data-testid": "limit-cancel" }, "Cancel");
    const save = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "limit-save" }, "Save");
    const form = h(
      "form",
      { class: "limit-form", method: "dialog" },
      h("div", { class: "filters" },
        numberField("Concurrency", "concurrency", current.concurrency, "none"),
        numberField("Rate: starts", "rate_limit", current.rate?.limit ?? null, "none"),
        numberField("per ms", "period_ms", current.rate?.period_ms ?? null, "e.g. 1000"),
        numberField("Burst", "burst", current.rate?.burst ?? null, "1"),
      ),
      problem,
      h("div", { class: "confirm-buttons" }, cancel, save),
    );
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-labelledby": "limit-form-title", "data-testid": "limit-form" },
      h("h2", { id: "limit-form-title" }, `Limits of ${current.name}, key ${current.key}`),
      h("p", {}, "This key's override replaces the limit's default for it, whole, and wins over what workers declare until it is cleared. Empty fields mean none."),
      form,
    );
    const finish = (answer: LimitChangeBody | null): void => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancel.addEventListener("click", () => finish(null));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const change = changeOf(form);
      if (typeof change === "string") problem.textContent = change;
      else finish(change);
    });
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(null);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    (form.elements.namedItem("concurrency") as HTMLInputElement).focus();
  });
}
