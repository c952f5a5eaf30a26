package main

import (
	"io"
	"net/http"
	"strings"
)

// handleRespond answers 200 with the response headers given as
// header=Name:value (repeatable), written exactly as given, e.g.
// header=Set-Cookie:sid=1;%20Path=/ or header=Service-Worker-Allowed:/, and
// the body given as body= ("ok" without one).
func (s *server) handleRespond(w http.ResponseWriter, r *http.Request) {
	for _, h := range r.URL.Query()["header"] {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			badRequest(w, "header must be Name:value")
			return
		}
		w.Header().Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	body := "ok"
	if r.URL.Query().Has("body") {
		body = r.URL.Query().Get("body")
	}
	_, _ = io.WriteString(w, body)
}

// probePage is what an untrusted app's page could try against kiosc, run by
// the browser of whoever opens it: read kiosc's API, change a user, create a
// token, open kiosc's live websocket, and register a service worker for the
// whole origin. It also uses the app itself the way notebooks do (its own
// cookie, a same-origin API call, a websocket), to show that the app works.
// The results go into #result as JSON once every attempt has finished.
const probePage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>probe</title></head>
<body><h1>probe</h1><pre id="result" style="white-space:pre-wrap">running</pre>
<script>
(async function () {
  var kiosc = new URLSearchParams(location.search).get("kiosc") || location.origin;
  var owner = new URLSearchParams(location.search).get("owner") || "";
  var r = {};
  async function attempt(name, f) {
    try { r[name] = await f(); } catch (e) { r[name] = "error: " + e; }
  }
  var csrf = "";
  await attempt("read_me", async function () {
    var res = await fetch(kiosc + "/api/v1/me", {credentials: "include"});
    var body = await res.json();
    csrf = body.csrf_token || "";
    return "status " + res.status + (body.user ? " user " + body.user.username : "");
  });
  await attempt("patch_user", async function () {
    var res = await fetch(kiosc + "/api/v1/users/" + owner, {method: "PATCH", credentials: "include",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}, body: JSON.stringify({is_superuser: true})});
    return "status " + res.status;
  });
  await attempt("create_token", async function () {
    var res = await fetch(kiosc + "/api/v1/tokens", {method: "POST", credentials: "include",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}, body: JSON.stringify({name: "stolen"})});
    return "status " + res.status;
  });
  await attempt("create_token_simple", async function () {
    // A "simple" request: no preflight, the cookie goes along, the answer is opaque.
    var res = await fetch(kiosc + "/api/v1/tokens", {method: "POST", credentials: "include", mode: "no-cors",
      headers: {"Content-Type": "text/plain"}, body: JSON.stringify({name: "stolen-simple"})});
    return "type " + res.type;
  });
  await attempt("live_ws", function () {
    return new Promise(function (resolve) {
      var ws = new WebSocket(kiosc.replace(/^http/, "ws") + "/api/v1/ws");
      var got = [];
      ws.onmessage = function (e) { got.push(e.data); };
      ws.onclose = function () { resolve(got.length ? "received " + got.length : "closed"); };
      ws.onerror = function () { resolve("error"); };
      setTimeout(function () { ws.close(); resolve(got.length ? "received " + got.length : "nothing"); }, 2000);
    });
  });
  await attempt("service_worker", async function () {
    if (!navigator.serviceWorker) { return "unsupported"; }
    var reg = await navigator.serviceWorker.register("respond?header=Content-Type:text/javascript&header=Service-Worker-Allowed:/&body=%2F%2Fsw", {scope: "/"});
    return "registered " + reg.scope;
  });
  await attempt("own_cookie", async function () {
    document.cookie = "probe=1; path=" + location.pathname.replace(/[^\/]*$/, "");
    var res = await fetch("echo", {credentials: "same-origin"});
    var body = await res.json();
    return (body.headers.Cookie || []).join("; ");
  });
  await attempt("own_api", async function () {
    var res = await fetch("echo?jupyter=1", {method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"});
    var body = await res.json();
    return "status " + res.status + " " + body.method;
  });
  await attempt("own_ws", function () {
    return new Promise(function (resolve) {
      var prefix = location.pathname.replace(/[^\/]*$/, "");
      var ws = new WebSocket(location.origin.replace(/^http/, "ws") + prefix + "ws");
      ws.onopen = function () { ws.send("ping"); };
      ws.onmessage = function (e) { resolve("echo " + e.data); ws.close(); };
      ws.onerror = function () { resolve("error"); };
      setTimeout(function () { resolve("timeout"); }, 3000);
    });
  });
  document.getElementById("result").textContent = JSON.stringify(r, null, 2);
})();
</script></body></html>
`

// handleProbe serves probePage.
func (s *server) handleProbe(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, probePage)
}
