// Ours, for `tsc --checkJs` only: the global that the vendored swagger-ui-bundle.js (a classic
// script) sets, as far as static/apidocs/main.js uses it.
interface Window {
  SwaggerUIBundle?: (options: Record<string, unknown>) => unknown;
}
