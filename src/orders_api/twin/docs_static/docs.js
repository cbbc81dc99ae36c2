// The twin's /docs page: Swagger UI on the served OpenAPI document, and a sign-in form that asks
// the local identity provider for an ID token exactly as a browser app asks Cognito.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("docs-config").textContent);

  var ui = SwaggerUIBundle({
    url: config.openapiUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "BaseLayout",
    deepLinking: false,
    persistAuthorization: false,
  });
  window.ui = ui;

  var form = document.getElementById("sign-in-form");
  var status = document.getElementById("sign-in-status");
  var password = document.getElementById("password");

  function initiateAuth(username, secret) {
    return fetch(config.idpEndpoint + "/", {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
      },
      body: JSON.stringify({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: config.clientId,
        AuthParameters: { USERNAME: username, PASSWORD: secret },
      }),
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          var kind = String(body.__type || "Error").split("#").pop();
          throw new Error(kind + ": " + (body.message || response.statusText));
        }
        if (!body.AuthenticationResult) {
          throw new Error("the pool asks for a challenge (" + body.ChallengeName + "); finish it with the CLI");
        }
        return body.AuthenticationResult;
      });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var username = document.getElementById("username").value.trim();
    status.textContent = "Signing in…";
    status.className = "";
    initiateAuth(username, password.value)
      .then(function (result) {
        ui.preauthorizeApiKey(config.securityScheme, result.IdToken);
        var minutes = Math.round(result.ExpiresIn / 60);
        status.textContent = "Signed in as " + username + ": the ID token (valid " + minutes +
          " min) is set in Authorize. Open POST /orders, Try it out, Execute.";
        status.className = "ok";
      })
      .catch(function (error) {
        status.textContent = "Sign-in failed: " + error.message;
        status.className = "error";
      })
      .finally(function () {
        password.value = "";
      });
  });
})();
