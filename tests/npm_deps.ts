/**
 * npm packages only the tests use, named here so `deno task install`
 * installs them before `deno test --cached-only`. Never imported.
 */
import "piston-client";
import "puppeteer-core";
