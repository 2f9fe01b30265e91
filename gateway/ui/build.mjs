// Bundles src/main.ts (and the CSS it imports) into the gateway's static/app/ folder, with index.html.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";

const out = new URL("../src/labelstream_gateway/static/app/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ["src/main.ts"],
  bundle: true,
  minify: true,
  sourcemap: true,
  target: ["es2022"],
  outfile: `${out}app.js`,
  logLevel: "warning",
});
copyFileSync("src/index.html", `${out}index.html`);
console.log(`built the UI into ${out}`);
