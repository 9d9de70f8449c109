// Pages over the admin API's usage and quotas, dead letters, retention and
// settings: listed here so the shell stays the same as they are added.
import { html } from "./html.js";
import { Usage } from "./usage.js";

export const extraPages = [
  {
    id: "usage",
    title: "Usage and quotas",
    view: ({ admin }) => html`<${Usage} admin=${admin} />`,
  },
];
