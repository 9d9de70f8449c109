// Pages over the admin API's usage and quotas, dead letters, retention and
// settings: listed here so the shell stays the same as they are added.
import { html } from "./html.js";
import { Usage } from "./usage.js";
import { DeadLetters } from "./dlq.js";
import { Retention } from "./retention.js";

export const extraPages = [
  {
    id: "dlq",
    title: "Dead letters",
    view: ({ admin }) => html`<${DeadLetters} admin=${admin} />`,
  },
  {
    id: "usage",
    title: "Usage and quotas",
    view: ({ admin }) => html`<${Usage} admin=${admin} />`,
  },
  {
    id: "retention",
    title: "Retention and settings",
    view: ({ admin }) => html`<${Retention} admin=${admin} />`,
  },
];
