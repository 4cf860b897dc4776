// Entry point of the dashboard page: finds out whether this browser has a session, asks for a
// token when it does not, then runs the shell until the session ends.
import { Api, ApiError, type SessionView } from "./api.js";
import { h, replace } from "./dom.js";
import { Shell } from "./shell.js";
import { signIn } from "./sign-in.js";

async function currentSession(api: Api): Promise<SessionView | null> {
  try {
    return await api.get<SessionView>("/dashboard/session");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
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
