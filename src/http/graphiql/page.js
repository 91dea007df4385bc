// authql's GraphiQL page: GraphiQL when its files loaded (from authql's own
// GRAPHIQL_ASSETS_DIR, or from the pinned CDN, their integrity checked
// either way), else a small built-in console. Both share a sign-in bar that keeps the
// access token in this page's memory and sends it as the bearer header.
(function () {
  "use strict";

  var ENDPOINT = "/graphql";
  var DEFAULT_QUERY = "{ me { userName } }";
  var signedIn = null; // { accessToken, userName }

  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      if (key === "text") node.textContent = props[key];
      else node.setAttribute(key, props[key]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function post(body, headers) {
    var all = { "content-type": "application/json" };
    Object.keys(headers || {}).forEach(function (key) { all[key] = headers[key]; });
    return fetch(ENDPOINT, {
      method: "POST",
      headers: all,
      body: JSON.stringify(body),
      credentials: "same-origin",
    }).then(function (response) { return response.json(); });
  }

  // The headers a request is sent with: those typed in, and the signed-in
  // bearer token unless an Authorization header was typed in.
  function withBearer(headers) {
    var out = {};
    var typed = false;
    Object.keys(headers || {}).forEach(function (key) {
      out[key] = headers[key];
      if (key.toLowerCase() === "authorization") typed = true;
    });
    if (signedIn && !typed) out.Authorization = "Bearer " + signedIn.accessToken;
    return out;
  }

  function signInBar(onChange) {
    var bar = el("form", { id: "authql-signin", "aria-label": "Sign in" });
    function draw() {
      bar.replaceChildren();
      if (signedIn) {
        var out = el("button", { type: "button", id: "authql-signout", text: "Sign out" });
        out.addEventListener("click", function () {
          var token = signedIn.accessToken;
          signedIn = null;
          draw();
          onChange();
          post({ query: "mutation { logout }" }, { Authorization: "Bearer " + token });
        });
        bar.append(el("span", { id: "authql-who", text: "Signed in as " + signedIn.userName +
          " (the bearer token is sent with every request)" }), out);
        return;
      }
      var name = el("input", { id: "authql-user", placeholder: "user name", autocomplete: "username" });
      var pass = el("input", { id: "authql-password", type: "password", placeholder: "password",
        autocomplete: "current-password" });
      var status = el("span", { id: "authql-signin-status" });
      bar.append(el("strong", { text: "authql" }), name, pass,
        el("button", { type: "submit", text: "Sign in" }), status);
      bar.onsubmit = function (event) {
        event.preventDefault();
        status.textContent = "…";
        post({
          query: "mutation ($input: LoginInput!) { login(input: $input) { accessToken user { userName } } }",
          variables: { input: { userName: name.value, password: pass.value, deviceInfo: "authql playground" } },
        }).then(function (answer) {
          if (answer.data && answer.data.login) {
            signedIn = { accessToken: answer.data.login.accessToken, userName: answer.data.login.user.userName };
            draw();
            onChange();
          } else {
            var error = answer.errors && answer.errors[0];
            status.textContent = error ? error.message + " (" + (error.extensions || {}).code + ")" : "failed";
          }
        }, function () { status.textContent = "authql did not answer"; });
      };
    }
    draw();
    return bar;
  }

  function startGraphiQL(main) {
    // Its style sheet, preloaded by the page with its integrity hash.
    document.querySelectorAll('link[rel="preload"][as="style"]').forEach(function (preload) {
      document.head.appendChild(el("link", {
        rel: "stylesheet",
        href: preload.getAttribute("href"),
        integrity: preload.getAttribute("integrity"),
        crossorigin: "anonymous",
      }));
    });
    var fetcher = function (params, options) {
      return post(params, withBearer(options && options.headers));
    };
    ReactDOM.createRoot(main).render(
      React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: DEFAULT_QUERY })
    );
  }

  function parseObject(text, what) {
    if (!text.trim()) return {};
    var value = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new Error(what + " must be a JSON object");
    }
    return value;
  }

  function startConsole(main) {
    var query = el("textarea", { id: "authql-query", rows: "10", spellcheck: "false" });
    query.value = DEFAULT_QUERY;
    var variables = el("textarea", { id: "authql-variables", rows: "4", spellcheck: "false",
      placeholder: "{}" });
    var headers = el("textarea", { id: "authql-headers", rows: "3", spellcheck: "false",
      placeholder: '{"Authorization": "Bearer …"}' });
    var run = el("button", { type: "submit", id: "authql-run", text: "Run" });
    var answer = el("pre", { id: "authql-answer", "aria-live": "polite" });
    var form = el("form", { id: "authql-console" }, [
      el("p", { class: "authql-note", text: "GraphiQL could not be loaded (no internet access, or its " +
        "files failed their integrity check), so this is authql's built-in console." }),
      el("label", { for: "authql-query", text: "Query" }), query,
      el("label", { for: "authql-variables", text: "Variables (JSON)" }), variables,
      el("label", { for: "authql-headers", text: "Headers (JSON)" }), headers,
      run,
      el("label", { text: "Answer" }), answer,
    ]);
    form.onsubmit = function (event) {
      event.preventDefault();
      var body, sent;
      try {
        body = { query: query.value, variables: parseObject(variables.value, "Variables") };
        sent = withBearer(parseObject(headers.value, "Headers"));
      } catch (error) {
        answer.textContent = String(error.message || error);
        return;
      }
      answer.textContent = "…";
      post(body, sent).then(function (result) {
        answer.textContent = JSON.stringify(result, null, 2);
      }, function (error) { answer.textContent = "authql did not answer: " + error; });
    };
    main.replaceChildren(form);
    return form;
  }

  // This script runs before GraphiQL's (all are deferred, in order), so it
  // can start the console on its own when the CDN never answers; else it
  // starts once every deferred script has run or failed.
  var CDN_PATIENCE_MS = 5000;
  var started = false;
  function start() {
    if (started) return;
    started = true;
    var main = document.getElementById("authql-main");
    var loaded = window.React && window.ReactDOM && window.GraphiQL;
    document.body.setAttribute("data-authql-ui", loaded ? "graphiql" : "console");
    if (loaded) startGraphiQL(main);
    else startConsole(main);
  }
  document.getElementById("authql-bar").append(signInBar(function () {}));
  document.addEventListener("DOMContentLoaded", start);
  // Only a CDN can keep the page waiting; authql's own files are at hand.
  if (document.querySelector('script[src^="https:"]')) setTimeout(start, CDN_PATIENCE_MS);
})();
