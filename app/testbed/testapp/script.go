package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// scriptHeader is the first line of a script run by the test app. The kernel
// turns "#!/testapp script" into the command line
// "/testapp script <file> [args...]".
const scriptHeader = "#!/testapp script"

// scriptInvocation reports whether args (without the program name) ask for
// script mode, either as "script <file> [args...]" (the kernel's form) or as
// "<file> [args...]" where the file starts with scriptHeader.
func scriptInvocation(args []string) (file string, rest []string, ok bool) {
	if len(args) >= 2 && args[0] == "script" {
		return args[1], args[2:], true
	}
	if len(args) >= 1 && !strings.HasPrefix(args[0], "-") && hasScriptHeader(args[0]) {
		return args[0], args[1:], true
	}
	return "", nil, false
}

// hasScriptHeader reports whether the file at path begins with scriptHeader.
func hasScriptHeader(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	return strings.TrimRight(line, " \t\r\n") == scriptHeader
}

// runScript executes the script file with the given arguments and returns
// the exit code. Commands: echo, echoerr, sleep, serve, exit (see package
// documentation). $VAR and $1..$9 are expanded in echo text.
func runScript(file string, args []string, p *process) int {
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(p.stderr, "testapp script:", err)
		return 2
	}
	expand := func(s string) string {
		return os.Expand(s, func(k string) string {
			if i, err := strconv.Atoi(k); err == nil {
				if i >= 1 && i <= len(args) {
					return args[i-1]
				}
				return ""
			}
			return os.Getenv(k)
		})
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cmd, arg, _ := strings.Cut(line, " ")
		arg = strings.TrimSpace(arg)
		switch cmd {
		case "echo":
			fmt.Fprintln(p.stdout, expand(arg))
		case "echoerr":
			fmt.Fprintln(p.stderr, expand(arg))
		case "sleep":
			d, err := time.ParseDuration(arg)
			if err != nil {
				fmt.Fprintf(p.stderr, "testapp script: line %d: %v\n", lineNo, err)
				return 2
			}
			time.Sleep(d)
		case "serve":
			return serveMain(args, p)
		case "exit":
			code, err := strconv.Atoi(arg)
			if err != nil {
				fmt.Fprintf(p.stderr, "testapp script: line %d: exit wants a number\n", lineNo)
				return 2
			}
			return code
		default:
			fmt.Fprintf(p.stderr, "testapp script: line %d: unknown command %q\n", lineNo, cmd)
			return 2
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(p.stderr, "testapp script:", err)
		return 2
	}
	return 0
}
