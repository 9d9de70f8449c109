/**
 * The npm packages the console's pages load in the browser, named here so
 * `deno task install` puts them in node_modules, from where the service
 * serves their files (`console/assets.ts`). Never imported by the server.
 */
import "preact";
import "preact/hooks";
import "htm";
import "uplot";
