// The confirmation dialog of destructive actions: a modal <dialog> whose safe choice has the
// focus, so Enter never destroys by accident and Escape always backs out.
import { h } from "./dom.js";

/** Asks `question`; resolves true only when the operator clicks the `action` button. */
export function confirmAction(question: string, detail: string, action: string): Promise<boolean> {
  return new Promise((resolve) => {
    const cancel = h("button", { type: "button", class: "btn", "data-testid": "confirm-cancel" }, "Cancel");
    const accept = h("button", { type: "button", class: "btn btn-danger", "data-testid": "confirm-accept" }, action);
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-labelledby": "confirm-title" },
      h("h2", { id: "confirm-title" }, question),
      h("p", {}, detail),
      h("div", { class: "confirm-buttons" }, cancel, accept),
    );
    const finish = (answer: boolean): void => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancel.addEventListener("click", () => finish(false));
    accept.addEventListener("click", () => finish(true));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(false);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
