// The sign-in form: the token is typed into a password field and sent in a JSON body, never in
// a URL; the server answers with an HttpOnly session cookie and the session's CSRF token.
import { ApiError, type Api, type SessionView } from "./api.js";
import { h, replace } from "./dom.js";

/** Shows the form in `root` and resolves with the session once a token is accepted. */
export function signIn(root: HTMLElement, api: Api, notice = ""): Promise<SessionView> {
  return new Promise((resolve) => {
    const input = h("input", { type: "password", name: "token", id: "token", autocomplete: "current-password", required: true, spellcheck: "false" });
    const message = h("p", { class: "sign-in-error", role: "alert", "data-testid": "sign-in-error" }, notice);
    const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Sign in");
    const form = h(
      "form",
      { class: "sign-in", "aria-labelledby": "sign-in-title" },
      h("div", { class: "brand brand-large" }, h("img", { src: "favicon.svg", alt: "", width: "28", height: "28" }), "Caudex"),
      h("h1", { id: "sign-in-title" }, "Sign in to the dashboard"),
      h("label", { for: "token" }, "Access token"),
      input,
      h("p", { class: "muted" }, "The full token (INTERNAL_SERVICE_TOKEN) allows actions; the read-only token only shows."),
      message,
      submit,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit.disabled = true;
      message.textContent = "";
      api
        .post<SessionView>("/dashboard/session", { token: input.value })
        .then((session) => {
          input.value = "";
          resolve(session);
        })
        .catch((error: unknown) => {
          message.textContent = error instanceof ApiError && error.status === 401 ? "That token is not valid here." : error instanceof Error ? error.message : String(error);
          input.select();
        })
        .finally(() => {
          submit.disabled = false;
        });
    });
    replace(root, h("main", { class: "sign-in-page" }, form));
    input.focus();
  });
}
