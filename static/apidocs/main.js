// The API reference (/api/docs): Swagger UI over this server's OpenAPI document. The bundle is
// a classic script loaded before this module (both deferred, in document order) and served
// from static/vendor/; nothing is fetched from another host: no validator badge, no CDN.

const root = /** @type {HTMLElement} */ (document.getElementById("swagger-ui"));
const render = window.SwaggerUIBundle;
if (render && root.dataset.specUrl) {
  render({
    url: root.dataset.specUrl,
    domNode: root,
    // The default would send the whole document to validator.swagger.io for a badge.
    validatorUrl: null,
    deepLinking: true,
    // "Try it out" sends requests to this server only (the document names no other).
    tryItOutEnabled: false,
    defaultModelsExpandDepth: 0,
    docExpansion: "list",
    layout: "BaseLayout",
  });
} else {
  root.textContent = "The API reference could not be loaded.";
}
