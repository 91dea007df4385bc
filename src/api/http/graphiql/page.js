// authql's GraphiQL page: GraphiQL when its files loaded (from authql's own
// GRAPHIQL_ASSETS_DIR, or from the pinned CDN, their integrity checked
// either way), else a small built-in console. Both share a sign-in bar that keeps the
// access token in this page's memory and sends it as the bearer header (for
// an account with two-factor authentication, after a second step that
// takes a code or a recovery code; or with a passkey, in one step), and
// both run subscriptions
// (sessionEvents) over a WebSocket at the same path.
(function () {
  "use strict";

  var ENDPOINT = "/graphql";
  var DEFAULT_QUERY = "{ me { userName } }";
  var signedIn = null; // { accessToken, userName }
  // A login that answered MFA_REQUIRED: its mfaToken, until completeLogin.
  var secondStep = null; // { mfaToken, userName }

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

  // The bearer header among `headers`, whatever its case.
  function authorizationOf(headers) {
    var found = null;
    Object.keys(headers || {}).forEach(function (key) {
      if (key.toLowerCase() === "authorization") found = headers[key];
    });
    return found;
  }

  // Whether the operation to run is a subscription: the named one, else the
  // document's first (comments left out).
  function isSubscription(query, operationName) {
    var text = String(query || "").replace(/#[^\n\r]*/g, "");
    if (operationName) {
      return new RegExp("\\bsubscription\\s+" + operationName + "\\b").test(text);
    }
    return /^\s*subscription\b/.test(text);
  }

  // One subscription over graphql-transport-ws, the protocol authql speaks
  // at /graphql: connection_init with the bearer header, then subscribe.
  // Written here rather than loading the graphql-ws library, as the page
  // runs only files whose integrity authql pins. onNext gets each payload;
  // onClose the close code and reason. Returns a function that stops it.
  function subscribe(body, headers, onNext, onClose) {
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    var socket = new WebSocket(scheme + "//" + location.host + ENDPOINT, "graphql-transport-ws");
    var authorization = authorizationOf(headers);
    socket.onopen = function () {
      socket.send(JSON.stringify({
        type: "connection_init",
        payload: authorization ? { Authorization: authorization } : {},
      }));
    };
    socket.onmessage = function (message) {
      var said = JSON.parse(message.data);
      if (said.type === "connection_ack") {
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: body }));
      } else if (said.type === "next") {
        onNext(said.payload);
      } else if (said.type === "error") {
        onNext({ errors: said.payload });
      } else if (said.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      } else if (said.type === "complete") {
        socket.close(1000);
      }
    };
    socket.onclose = function (event) { onClose(event.code, event.reason); };
    return function stop() {
      if (socket.readyState <= 1) socket.close(1000);
    };
  }

  // What the socket's close means, as an answer to show.
  function closedAnswer(code, reason) {
    return { errors: [{
      message: "the socket closed (" + code + (reason ? " " + reason : "") + ")",
      extensions: { code: reason || String(code) },
    }] };
  }

  // A subscription as the async iterable GraphiQL's fetcher may return: it
  // shows each payload as it comes, and its stop button calls return().
  function subscriptionResults(body, headers) {
    var queued = [];
    var waiting = null;
    var finished = false;
    function push(result) {
      if (waiting) {
        var resolve = waiting;
        waiting = null;
        resolve(result);
      } else {
        queued.push(result);
      }
    }
    // GraphiQL shows the latest result only: the close is shown with the
    // last event (the session's own ENDED, when that is why it closed).
    var last = null;
    var stop = subscribe(body, headers, function (payload) {
      last = payload;
      push({ value: payload, done: false });
    }, function (code, reason) {
      if (code !== 1000) {
        var closed = closedAnswer(code, reason);
        if (last && last.data) closed.data = last.data;
        push({ value: closed, done: false });
      }
      finished = true;
      push({ value: undefined, done: true });
    });
    var results = {
      next: function () {
        if (queued.length) return Promise.resolve(queued.shift());
        if (finished) return Promise.resolve({ value: undefined, done: true });
        return new Promise(function (resolve) { waiting = resolve; });
      },
      return: function () {
        stop();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
    results[Symbol.asyncIterator] = function () { return results; };
    return results;
  }

  // The error of an answer, as the bar shows it.
  function refusal(answer) {
    var error = answer.errors && answer.errors[0];
    return error ? error.message + " (" + (error.extensions || {}).code + ")" : "failed";
  }

  function codeOf(answer) {
    var error = answer.errors && answer.errors[0];
    return error && error.extensions ? error.extensions.code : null;
  }

  // completeLogin's input for what was typed: six digits are a code from
  // the app, anything else a recovery code (sixteen letters and digits).
  function secondFactor(typed) {
    var compact = typed.replace(/\s+/g, "");
    return /^[0-9]{6}$/.test(compact) ? { code: compact } : { recoveryCode: typed.trim() };
  }

  // Whether this browser reads WebAuthn's JSON options itself (Level 3):
  // the passkey button needs no library then.
  function passkeysWork() {
    return typeof PublicKeyCredential !== "undefined" &&
      typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";
  }

  // A passkey sign-in: beginPasskeyLogin, the browser's passkey prompt
  // (any of this site's passkeys: the options name no account), then
  // finishPasskeyLogin with the answer's JSON. Resolves to the answer of
  // finishPasskeyLogin, or of beginPasskeyLogin when that failed.
  function passkeySignIn() {
    return post({ query: "mutation { beginPasskeyLogin { challengeId options } }" }).then(function (begun) {
      if (!begun.data) return begun;
      var ceremony = begun.data.beginPasskeyLogin;
      var publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(JSON.parse(ceremony.options));
      return navigator.credentials.get({ publicKey: publicKey }).then(function (credential) {
        return post({
          query: "mutation ($input: FinishPasskeyLoginInput!) { finishPasskeyLogin(input: $input) " +
            "{ accessToken user { userName } } }",
          variables: { input: { challengeId: ceremony.challengeId,
            credential: JSON.stringify(credential.toJSON()), deviceInfo: "authql playground" } },
        });
      });
    });
  }

  function signInBar(onChange) {
    var bar = el("form", { id: "authql-signin", "aria-label": "Sign in" });
    function enter(auth) {
      secondStep = null;
      signedIn = { accessToken: auth.accessToken, userName: auth.user.userName };
      draw();
      onChange();
    }
    function drawSecondStep(status) {
      var code = el("input", { id: "authql-code", placeholder: "code or recovery code",
        autocomplete: "one-time-code", spellcheck: "false" });
      var back = el("button", { type: "button", id: "authql-signin-back", text: "Back" });
      back.addEventListener("click", function () {
        secondStep = null;
        draw();
      });
      bar.append(el("strong", { text: "authql" }),
        el("span", { text: secondStep.userName + " has two-factor authentication:" }), code,
        el("button", { type: "submit", text: "Verify" }), back, status);
      code.focus();
      bar.onsubmit = function (event) {
        event.preventDefault();
        status.textContent = "…";
        var input = secondFactor(code.value);
        input.mfaToken = secondStep.mfaToken;
        post({
          query: "mutation ($input: CompleteLoginInput!) { completeLogin(input: $input) { accessToken user { userName } } }",
          variables: { input: input },
        }).then(function (answer) {
          if (answer.data && answer.data.completeLogin) {
            enter(answer.data.completeLogin);
          } else if (codeOf(answer) === "INVALID_TOKEN") {
            // Expired, or dead after five wrong codes: the password again.
            secondStep = null;
            draw();
            bar.querySelector("#authql-signin-status").textContent =
              "the sign-in expired: enter the password again (INVALID_TOKEN)";
          } else {
            code.value = "";
            status.textContent = refusal(answer);
          }
        }, function () { status.textContent = "authql did not answer"; });
      };
    }
    function draw() {
      bar.replaceChildren();
      if (secondStep) {
        drawSecondStep(el("span", { id: "authql-signin-status" }));
        return;
      }
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
      var passkey = el("button", { type: "button", id: "authql-passkey", text: "Passkey",
        title: "Sign in with a passkey (no user name or password)" });
      passkey.hidden = !passkeysWork();
      passkey.addEventListener("click", function () {
        status.textContent = "…";
        passkeySignIn().then(function (answer) {
          if (answer.data && answer.data.finishPasskeyLogin) enter(answer.data.finishPasskeyLogin);
          else status.textContent = refusal(answer);
        }, function (error) {
          // The browser's refusal: the prompt closed, or no passkey here.
          status.textContent = "no passkey was used (" + ((error && error.name) || error) + ")";
        });
      });
      bar.append(el("strong", { text: "authql" }), name, pass,
        el("button", { type: "submit", text: "Sign in" }), passkey, status);
      bar.onsubmit = function (event) {
        event.preventDefault();
        status.textContent = "…";
        post({
          query: "mutation ($input: LoginInput!) { login(input: $input) { accessToken user { userName } } }",
          variables: { input: { userName: name.value, password: pass.value, deviceInfo: "authql playground" } },
        }).then(function (answer) {
          var error = answer.errors && answer.errors[0];
          if (answer.data && answer.data.login) {
            enter(answer.data.login);
          } else if (codeOf(answer) === "MFA_REQUIRED") {
            secondStep = { mfaToken: error.extensions.mfaToken, userName: name.value };
            draw();
          } else {
            status.textContent = refusal(answer);
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
      var headers = withBearer(options && options.headers);
      if (isSubscription(params.query, params.operationName)) {
        return subscriptionResults(params, headers);
      }
      return post(params, headers);
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
    var stopSubscription = null;
    form.onsubmit = function (event) {
      event.preventDefault();
      if (stopSubscription) stopSubscription();
      stopSubscription = null;
      var body, sent;
      try {
        body = { query: query.value, variables: parseObject(variables.value, "Variables") };
        sent = withBearer(parseObject(headers.value, "Headers"));
      } catch (error) {
        answer.textContent = String(error.message || error);
        return;
      }
      answer.textContent = "…";
      if (isSubscription(body.query)) {
        // Each event as it comes, the newest last, until the socket closes.
        var shown = [];
        var show = function (result) {
          shown.push(JSON.stringify(result, null, 2));
          answer.textContent = shown.join("\n");
        };
        stopSubscription = subscribe(body, sent, show, function (code, reason) {
          if (code !== 1000) show(closedAnswer(code, reason));
        });
        answer.textContent = "subscribed; events show here as they come";
        return;
      }
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
