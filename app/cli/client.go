package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// The client half of the command line: `kiosc login`, then commands grouped by resource (`kiosc project list`,
// `kiosc token create`, `kiosc admin sync-sodar`, ...) that call the REST API with the stored token. A new group
// is one function returning its commands, added to clientGroups.

// Env is what client commands use from the process; tests fill it in.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads the environment (KIOSC_URL, KIOSC_TOKEN, XDG_CONFIG_HOME, HOME).
	Getenv func(string) string
	// HTTP is the client for API calls (nil: one with a generous timeout, since a SODAR sync may take minutes).
	HTTP *http.Client
}

// Command is one client command.
type Command struct {
	Name string
	// Args describes the arguments for the usage text, e.g. "NAME [--expires-in 30d]".
	Args    string
	Summary string
	// Run gets the arguments after the command name.
	Run func(ctx context.Context, e *Env, args []string) error
}

// clientGroups lists the command groups by name.
func clientGroups() map[string][]Command {
	return map[string][]Command{
		"project":   projectCommands(),
		"token":     tokenCommands(),
		"admin":     adminCommands(),
		"template":  templateCommands(),
		"container": containerCommands(),
		"volume":    volumeCommands(),
	}
}

// clientUsage is the usage text of the client commands.
func clientUsage() string {
	var b strings.Builder
	b.WriteString("  kiosc login --url URL [--token TOKEN]          store the server URL and an API token (token read from stdin if not given)\n")
	groups := clientGroups()
	names := make([]string, 0, len(groups))
	for n := range groups {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, g := range names {
		for _, c := range groups[g] {
			fmt.Fprintf(&b, "  kiosc %-40s %s\n", strings.TrimSpace(g+" "+c.Name+" "+c.Args), c.Summary)
		}
	}
	b.WriteString("  (KIOSC_URL and KIOSC_TOKEN override the stored login; --json prints the API's JSON)\n")
	return b.String()
}

// RunClient runs a client command (args start with the group, or "login") and returns the exit code.
func RunClient(ctx context.Context, e *Env, args []string) int {
	err := runClient(ctx, e, args)
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(e.Stderr, "kiosc:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func runClient(ctx context.Context, e *Env, args []string) error {
	if args[0] == "login" {
		return login(ctx, e, args[1:])
	}
	cmds, ok := clientGroups()[args[0]]
	if !ok {
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	var names []string
	for _, c := range cmds {
		names = append(names, c.Name)
		if len(args) > 1 && args[1] == c.Name {
			return c.Run(ctx, e, args[2:])
		}
	}
	return usageError{fmt.Sprintf("usage: kiosc %s %s", args[0], strings.Join(names, "|"))}
}

// isClientCommand reports whether name is a client command (for the dispatcher in Main).
func isClientCommand(name string) bool {
	if name == "login" {
		return true
	}
	_, ok := clientGroups()[name]
	return ok
}

// osEnv is the Env of the running process.
func osEnv() *Env {
	return &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// Login is what `kiosc login` stores.
type Login struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

// configPath is $XDG_CONFIG_HOME/kiosc/config.json, or ~/.config/kiosc/config.json.
func configPath(e *Env) (string, error) {
	dir := e.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := e.Getenv("HOME")
		if home == "" {
			var err error
			if home, err = os.UserHomeDir(); err != nil {
				return "", fmt.Errorf("cannot find the config directory: set XDG_CONFIG_HOME or HOME")
			}
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "kiosc", "config.json"), nil
}

// loadLogin returns the stored login with KIOSC_URL and KIOSC_TOKEN applied over it.
func loadLogin(e *Env) (*Login, error) {
	l := &Login{}
	if path, err := configPath(e); err == nil {
		if b, err := os.ReadFile(path); err == nil {
			if err := json.Unmarshal(b, l); err != nil {
				return nil, fmt.Errorf("%s: %w (run kiosc login again)", path, err)
			}
		}
	}
	if v := e.Getenv("KIOSC_URL"); v != "" {
		l.URL = v
	}
	if v := e.Getenv("KIOSC_TOKEN"); v != "" {
		l.Token = v
	}
	if l.URL == "" || l.Token == "" {
		return nil, errors.New("not logged in: run `kiosc login --url URL`, or set KIOSC_URL and KIOSC_TOKEN")
	}
	return l, nil
}

func saveLogin(e *Env, l *Login) (string, error) {
	path, err := configPath(e)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	b, _ := json.MarshalIndent(l, "", "  ")
	// Written to a temporary file first so a crash never leaves half a config; 0600 because it holds the token.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp.Name(), path)
}

func normalizeURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usageError{fmt.Sprintf("--url: %q is not an http(s) URL such as https://kiosc.example.org", raw)}
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func login(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("login", e)
	rawURL := fs.String("url", "", "kiosc server URL, e.g. https://kiosc.example.org")
	token := fs.String("token", "", "API token (created in the web interface under Tokens); read from stdin when empty")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rawURL == "" {
		*rawURL = e.Getenv("KIOSC_URL")
	}
	if *rawURL == "" {
		return usageError{"usage: kiosc login --url URL [--token TOKEN]"}
	}
	base, err := normalizeURL(*rawURL)
	if err != nil {
		return err
	}
	if *token == "" {
		if f, ok := e.Stdin.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				fmt.Fprint(e.Stderr, "API token (create one in the web interface under Tokens): ")
				// Keep the token off the screen where stty is available; without it the input is simply echoed.
				if stty(f, "-echo") == nil {
					defer func() {
						_ = stty(f, "echo")
						fmt.Fprintln(e.Stderr)
					}()
				}
			}
		}
		line, err := bufio.NewReader(e.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		*token = strings.TrimSpace(line)
	}
	if *token == "" {
		return usageError{"no token given (--token or stdin)"}
	}
	l := &Login{URL: base, Token: *token}
	var me struct {
		User struct {
			Username string `json:"username"`
		} `json:"user"`
	}
	if err := newClient(e, l).Do(ctx, "GET", "/api/v1/me", nil, &me); err != nil {
		return fmt.Errorf("checking the token at %s: %w", base, err)
	}
	path, err := saveLogin(e, l)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "Logged in to %s as %s (saved in %s)\n", base, me.User.Username, path)
	return nil
}

// stty changes the terminal on f.
func stty(f *os.File, arg string) error {
	cmd := exec.Command("stty", arg)
	cmd.Stdin = f
	return cmd.Run()
}

// APIError is an error answer of the API.
type APIError struct {
	Status  int
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields"`
}

func (e *APIError) Error() string {
	msg := e.Message
	if len(e.Fields) > 1 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+": "+e.Fields[k])
		}
		msg += " (" + strings.Join(parts, "; ") + ")"
	}
	return fmt.Sprintf("%s [%d %s]", msg, e.Status, e.Code)
}

// Client calls the kiosc REST API with a token.
type Client struct {
	URL, Token string
	HTTP       *http.Client
}

func newClient(e *Env, l *Login) *Client {
	hc := e.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Minute}
	}
	return &Client{URL: strings.TrimRight(l.URL, "/"), Token: l.Token, HTTP: hc}
}

// clientFor returns a client for the stored (or overridden) login.
func clientFor(e *Env) (*Client, error) {
	l, err := loadLogin(e)
	if err != nil {
		return nil, err
	}
	return newClient(e, l), nil
}

// Do sends body (JSON, may be nil) and decodes the answer into out (may be nil; a *json.RawMessage keeps it raw).
// Error answers become *APIError.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Token "+c.Token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		// The token is in a header, never in the URL, so the error is safe to show.
		return fmt.Errorf("cannot reach %s: %w", c.URL, errors.Unwrap(err))
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("reading the answer of %s %s: %w", method, path, err)
	}
	if res.StatusCode >= 400 {
		var eb struct {
			Error *APIError `json:"error"`
		}
		if json.Unmarshal(b, &eb) == nil && eb.Error != nil {
			eb.Error.Status = res.StatusCode
			return eb.Error
		}
		return &APIError{Status: res.StatusCode, Code: "http_error", Message: fmt.Sprintf("%s %s answered %s", method, path, res.Status)}
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = append((*raw)[:0], b...)
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: unexpected answer: %w", method, path, err)
	}
	return nil
}

func newFlags(name string, e *Env) *flag.FlagSet {
	fs := flag.NewFlagSet("kiosc "+name, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	return fs
}

// printJSON writes raw API JSON indented.
func printJSON(w io.Writer, raw json.RawMessage) error {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		_, err = w.Write(raw)
		return err
	}
	b.WriteByte('\n')
	_, err := b.WriteTo(w)
	return err
}

// table writes rows aligned in columns, the first row being the header.
func table(w io.Writer, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// when formats an optional time for tables.
func when(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// listCommand is the usual shape of a `list` command: GET path, --json prints it, otherwise rows(items) as a table.
func listCommand[T any](name, summary, path string, header []string, row func(T) []string) Command {
	return Command{Name: name, Summary: summary, Run: func(ctx context.Context, e *Env, args []string) error {
		fs := newFlags(name, e)
		asJSON := fs.Bool("json", false, "print the API's JSON")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return printList(ctx, e, path, *asJSON, header, row)
	}}
}

// printList GETs a list from path and prints the API's JSON (asJSON) or its items as a table under header, a row
// each.
func printList[T any](ctx context.Context, e *Env, path string, asJSON bool, header []string, row func(T) []string) error {
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.Do(ctx, "GET", path, nil, &raw); err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.Stdout, raw)
	}
	var list struct {
		Items []T `json:"items"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	rows := [][]string{header}
	for _, it := range list.Items {
		rows = append(rows, row(it))
	}
	table(e.Stdout, rows)
	return nil
}
