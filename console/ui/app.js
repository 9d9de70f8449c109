// The console's shell: sign-in with an API key, the role's pages, and
// hash routing (#/overview, #/keys, …) so reloads and links keep the page.
import { useEffect, useState } from "preact/hooks";
import { html, render } from "./html.js";
import { api, currentKey, signIn, signOut } from "./api.js";
import { Notice } from "./widgets.js";
import { Overview } from "./overview.js";
import { Keys } from "./keys.js";
import { Audit } from "./audit.js";
import { extraPages } from "./pages.js";

const PAGES = [
  { id: "overview", title: "Overview", view: () => html`<${Overview} />` },
  ...extraPages,
  { id: "audit", title: "Audit", view: () => html`<${Audit} />` },
  { id: "keys", title: "Keys", view: ({ admin }) => html`<${Keys} admin=${admin} />` },
];

function route() {
  const id = location.hash.replace(/^#\/?/, "");
  return PAGES.some((p) => p.id === id) ? id : "overview";
}

function SignIn({ onDone, error }) {
  return html`
    <main class="signin">
      <h1>Sandbox console</h1>
      <form class="card form" onSubmit=${(e) => {
        e.preventDefault();
        onDone(new FormData(e.target).get("key"));
      }}>
        <label>API key <input name="key" type="password" autocomplete="off" required autofocus /></label>
        <p class="muted">An admin or viewer key. It is kept for this tab only.</p>
        <button type="submit">Sign in</button>
        <${Notice} error=${error} />
      </form>
    </main>
  `;
}

function App() {
  const [me, setMe] = useState(null);
  const [error, setError] = useState(null);
  const [page, setPage] = useState(route());
  useEffect(() => {
    const onHash = () => setPage(route());
    addEventListener("hashchange", onHash);
    if (currentKey()) check();
    return () => removeEventListener("hashchange", onHash);
  }, []);

  async function check() {
    try {
      setMe(await api("/api/v1/me"));
      setError(null);
    } catch (err) {
      signOut();
      setMe(null);
      setError(
        err.status === 403 && /runner/.test(err.message)
          ? new Error("This key has no access to the console: runner keys only run code.")
          : err,
      );
    }
  }

  if (!me) {
    return html`<${SignIn} error=${error} onDone=${(key) => (signIn(key), check())} />`;
  }
  const admin = me.role === "admin";
  const current = PAGES.find((p) => p.id === page);
  return html`
    <div class="layout">
      <a class="skip" href="#content">Skip to content</a>
      <header>
        <strong>Sandbox console</strong>
        <nav aria-label="Pages">
          <ul>${PAGES.map((p) =>
            html`<li><a href=${`#/${p.id}`}
          aria-current=${p.id === page ? "page" : undefined}>${p.title}</a></li>`
          )}</ul>
        </nav>
        <span class="who">${me.key_id} (${me.role})</span>
        <button type="button" class="secondary" onClick=${() => (signOut(),
          setMe(null))}>Sign out</button>
      </header>
      <main id="content" tabindex="-1">
          <h2>${current.title}</h2>
          ${current.view({ admin, me })}
        </main>
    </div>
  `;
}

render(html`<${App} />`, document.getElementById("app"));
