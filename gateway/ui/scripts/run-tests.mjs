// `npm test`: the unit tests of pure UI modules (src/**/*.test.ts). esbuild bundles each test file on its own into
// .test-build/ (git-ignored, emptied first), then Node's built-in runner (`node --test`) runs the bundles.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ui = fileURLToPath(new URL("..", import.meta.url));
const out = join(ui, ".test-build");

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

const tests = testFiles(join(ui, "src")).sort();
if (tests.length === 0) {
  console.error("error: no src/**/*.test.ts files");
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const bundles = [];
for (const test of tests) {
  const outfile = join(out, relative(join(ui, "src"), test).replace(/\.ts$/, ".mjs"));
  await build({
    entryPoints: [test], bundle: true, platform: "node", format: "esm", target: ["node20"], sourcemap: "inline",
    outfile, logLevel: "warning",
  });
  bundles.push(outfile);
}
const run = spawnSync(process.execPath, ["--enable-source-maps", "--test", "--test-reporter=spec", ...bundles], { stdio: "inherit" });
process.exit(run.status ?? 1);
