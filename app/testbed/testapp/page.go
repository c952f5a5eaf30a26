package main

import (
	"io"
	"net/http"
)

// indexPage is the HTML answer of "/". Links are relative so the page works
// under any path prefix. The script opens a websocket to "ws" relative to
// the page (e.g. /containers/proxy/<id>/ws) and writes one line per event to
// #out: "open", "sent: <m>", "recv: <m>", "closed <code>", "error".
// Messages sent before the socket is open are queued; "?send=<m>" in the
// page URL queues m on load (for checks without clicking).
const indexPage = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>kiosc test app</title>
</head>
<body>
<h1>kiosc test app</h1>
<p>Endpoints:</p>
<ul>
<li><a href="health">health</a></li>
<li><a href="echo">echo</a></li>
<li><a href="sse?n=5&amp;interval=200ms">sse</a></li>
<li><a href="download?size=1024">download</a></li>
<li>upload (POST/PUT)</li>
<li><a href="redirect?to=echo">redirect</a></li>
<li><a href="status/418">status</a></li>
<li><a href="slow?delay=1s">slow</a></li>
<li><a href="log?n=3&amp;stream=stdout&amp;text=hello">log</a></li>
<li><a href="env">env</a></li>
<li><a href="args">args</a></li>
<li>ws (websocket echo)</li>
</ul>
<p>
<input id="msg" value="hello">
<button id="send">send</button>
</p>
<pre id="out"></pre>
<script>
(function () {
  var out = document.getElementById("out");
  function log(s) { out.textContent += s + "\n"; }
  var prefix = location.pathname.replace(/[^\/]*$/, "");
  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  var ws = new WebSocket(scheme + location.host + prefix + "ws");
  var queue = [];
  var auto = new URLSearchParams(location.search).get("send");
  if (auto) { queue.push(auto); }
  function send(m) { ws.send(m); log("sent: " + m); }
  ws.onopen = function () { log("open"); queue.splice(0).forEach(send); };
  ws.onmessage = function (e) { log("recv: " + e.data); };
  ws.onclose = function (e) { log("closed " + e.code); };
  ws.onerror = function () { log("error"); };
  document.getElementById("send").onclick = function () {
    var m = document.getElementById("msg").value;
    if (ws.readyState === WebSocket.OPEN) { send(m); } else { queue.push(m); }
  };
})();
</script>
</body>
</html>
`

// handleIndex serves indexPage (503 with NEVER_READY).
func (s *server) handleIndex(w http.ResponseWriter, r *http.Request) {
	if s.cfg.NeverReady {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, indexPage)
}
