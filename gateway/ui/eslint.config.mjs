// ESLint (flat config): the recommended rules of ESLint and of typescript-eslint, nothing more. `npm run lint`.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  globalIgnores(["src/generated/", ".test-build/", "node_modules/"]),
  js.configs.recommended,
  tseslint.configs.recommended,
  { files: ["src/**/*.ts"], languageOptions: { globals: globals.browser } },
  { files: ["src/**/*.test.ts", "*.mjs", "scripts/**/*.mjs"], languageOptions: { globals: globals.node } },
);
