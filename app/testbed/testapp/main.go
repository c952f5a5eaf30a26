// Command testapp is a small static HTTP application used as the workload in
// kiosc's tests. One image (FROM scratch, binary at /testapp) serves every
// test; behaviour is selected with environment variables, flags and request
// parameters. It also runs as a plain process on the host for direct-access
// comparisons.
//
// Usage:
//
//	testapp [-port N] [-base-path /prefix/]
//	testapp script <file> [args...]   (what the kernel runs for "#!/testapp script")
//	testapp <file> [args...]          (same, when <file> starts with "#!/testapp script")
//
// Endpoints (all also served under BASE_PATH, see below):
//
//	GET  /                 HTML page "kiosc test app" with a websocket echo UI
//	                       (input #msg, button #send, output #out; ?send=<m>
//	                       sends m on load; #out gets "open", "recv: <m>", ...)
//	GET  /health           200 "ok" (503 with NEVER_READY=1)
//	ANY  /echo             JSON description of the received request
//	GET  /ws               websocket echo; subprotocols chat, echo; text
//	                       message "close:<code>:<reason>" closes with that code
//	GET  /sse?n=5&interval=200ms          n server-sent events "data: 1".."data: n"
//	GET  /download?size=N                 N bytes (suffix k/m/g = KiB/MiB/GiB); byte at offset o is o%251
//	POST /upload                          {"bytes": N, "sha256": "..."} of the body
//	GET  /redirect?to=X                   302 with Location exactly X
//	GET  /status/<code>                   answers with that status
//	GET  /slow?delay=1s                   answers after the delay
//	GET  /log?n=1&stream=stdout&text=log  writes n lines "<text> <i>" to stdout or stderr
//	GET  /exit?code=0                     answers, then exits with that code
//	GET  /oom?mb=N                        allocates and touches N MiB (kept until exit)
//	GET  /burn?d=5s&n=1                   keeps n CPUs busy for d, answering at once
//	GET  /env                             process environment as a JSON object
//	GET  /args                            os.Args as a JSON array
//	GET  /file?path=/x                    content of a file
//	GET  /respond?header=Name:value&body=b  200 with those response headers (repeatable) and body ("ok")
//	GET  /probe?kiosc=<origin>&owner=<u>  page whose script tries kiosc's API as the visitor; results in #result
//
// Environment:
//
//	PORT=8080            listening port (-port overrides; 0 picks a free port)
//	BASE_PATH=/p/        also serve every route under this prefix (-base-path overrides)
//	BASE_PATH_ONLY=1     serve routes only under BASE_PATH, 404 elsewhere
//	STARTUP_DELAY=3s     wait before listening at all ("slow start")
//	NEVER_READY=1        listen, but answer / and /health with 503 forever
//	CRASH_AFTER=5s       exit by itself after the delay with CRASH_CODE (default 1)
//	LOG_EVERY=1s         write "tick <n>" to stdout every interval, and
//	                     additionally "tock <n>" to stderr for every 3rd tick
//	MEMORY_HOG_MB=N      allocate and touch N MiB at start
//
// At start the program writes "testapp stderr hello" to stderr and, once it
// listens, "testapp listening on :PORT" to stdout (with the real port when
// PORT=0). SIGTERM and SIGINT shut it down gracefully within a second with
// exit code 0.
//
// Script mode: the image has no shell, so "#!" scripts use the test app as
// their interpreter. A script whose first line is "#!/testapp script" is run
// by the kernel as "/testapp script <file> [args...]". Each further line is a
// command: "echo <text>" prints text (with $VAR expanded) to stdout,
// "echoerr <text>" prints it to stderr, "sleep <duration>" pauses, "serve"
// starts the HTTP server as usual (the script's arguments are parsed as
// flags) and "exit <n>" exits. Empty lines and lines starting with "#" are
// ignored; reaching the end of the script exits with 0.
package main

import (
	"os"
)

func main() {
	if file, args, ok := scriptInvocation(os.Args[1:]); ok {
		os.Exit(runScript(file, args, newProcess()))
	}
	os.Exit(serveMain(os.Args[1:], newProcess()))
}
