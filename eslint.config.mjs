// ESLint for the browser code (static/): native ES modules for the widget and the dashboard,
// and the classic loader script a meeting page embeds. `npm run lint`; .ci/run runs it.
import js from "@eslint/js";
import globals from "globals";

export default [
  {
    ignores: ["node_modules/**", "bench/**", ".venv/**", "static/vendor/**", "tests/**", "build/**"],
  },
  js.configs.recommended,
  {
    files: ["static/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser } },
    rules: {
      "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_" }],
      eqeqeq: ["error", "always"],
      "no-var": "error",
      "prefer-const": "error",
      "no-implicit-globals": "error",
      "no-restricted-syntax": ["error",
        { selector: "CallExpression[callee.property.name='postMessage'] > Literal[value='*']",
          message: "postMessage to the parent's origin only, never '*'." }],
      "no-eval": "error",
      "no-new-func": "error",
    },
  },
  {
    // The loader runs on the meeting page as a classic script (no modules there).
    files: ["static/widget.js"],
    languageOptions: { sourceType: "script", globals: { ...globals.browser } },
    rules: { "no-var": "off", "prefer-const": "off", "no-unused-vars": ["error", { caughtErrors: "none" }] },
  },
  {
    files: ["eslint.config.mjs"],
    languageOptions: { sourceType: "module", globals: { ...globals.node } },
  },
];
