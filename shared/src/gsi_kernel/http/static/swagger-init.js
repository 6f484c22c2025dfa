// Starts Swagger UI on the service's OpenAPI document. A file rather than an inline script:
// the CSP of /docs lets the page run scripts from the service only (gsi_kernel/http/headers.py).
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    // The default asks swagger.io's online validator for a badge: no request leaves the service.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
