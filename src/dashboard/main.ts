// Entry point of the dashboard page: finds out whether this browser has a session, asks for a
// token when it does not, then runs the shell until the session ends.
import { Api, type SessionProbe, type SessionView } from "./api.js";
import { h, replace } from "./dom.js";
import { Shell } from "./shell.js";
import { signIn } from "./sign-in.js";

// The probe answers 200 either way (signed_in says which), so a signed-out page logs no
// failed request in the browser's console.
async function currentSession(api: Api): Promise<SessionView | null> {
  const probe = await api.get<SessionProbe>("/dashboard/session");
  return probe.signed_in ? probe : null;
}

async function run(root: HTMLElement, notice = ""): Promise<void> {
  const api = new Api();
  const session = (await currentSession(api)) ?? (await signIn(root, api, notice));
  api.useCsrfToken(session.csrf_token);
  new Shell(root, api, session, (next) => void run(root, next).catch(fail(root))).start();
}

function fail(root: HTMLElement): (error: unknown) => void {
  return (error) => {
    const retry = h("button", { type: "button", class: "btn" }, "Try again");
    retry.addEventListener("click", () => location.reload());
    replace(root, h("main", { class: "sign-in-page" }, h("div", { class: "sign-in" }, h("h1", {}, "The dashboard cannot start"), h("p", { role: "alert" }, error instanceof Error ? error.message : String(error)), retry)));
  };
}

const root = document.getElementById("app");
if (root !== null) void run(root).catch(fail(root));
