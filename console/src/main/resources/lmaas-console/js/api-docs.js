// The API reference: Swagger UI (WebJar) over the gateway's own document, GET /openapi.json (the one a test keeps
// equal to the routes the gateway serves). Loaded as a file, not inline: the console's CSP allows only its own scripts.
window.addEventListener('load', () => {
  window.SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#api-docs',
    deepLinking: true,
    tryItOutEnabled: false,
  });
});
