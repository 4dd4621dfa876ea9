"use strict";
// The API reference page: Swagger UI over the schema the page names in data-schema-url. A file of
// its own, so the Content Security Policy allows no inline script.
(function () {
  const root = document.getElementById("swagger-ui");
  if (root === null || typeof SwaggerUIBundle === "undefined") {
    return;
  }
  SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    domNode: root,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    // No validity badge from validator.swagger.io: the page loads nothing from another origin,
    // and the schema's address is not sent to one.
    validatorUrl: null,
  });
})();
