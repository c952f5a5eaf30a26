package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func writeScript(t *testing.T, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "run.sh")
	if err := os.WriteFile(f, []byte(scriptHeader+"\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestScriptInvocation(t *testing.T) {
	f := writeScript(t, "exit 0\n")
	plain := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args     []string
		wantFile string
		wantRest []string
		wantOK   bool
	}{
		{[]string{"script", f, "a"}, f, []string{"a"}, true}, // what the kernel runs
		{[]string{f, "a", "b"}, f, []string{"a", "b"}, true},
		{[]string{plain}, "", nil, false},
		{[]string{"-port", "1"}, "", nil, false},
		{[]string{"script"}, "", nil, false},
		{nil, "", nil, false},
	} {
		file, rest, ok := scriptInvocation(tc.args)
		if file != tc.wantFile || ok != tc.wantOK || !reflect.DeepEqual(rest, tc.wantRest) {
			t.Errorf("scriptInvocation(%q) = %q %q %v", tc.args, file, rest, ok)
		}
	}
}

func TestRunScript(t *testing.T) {
	t.Setenv("GREETING", "hi")
	f := writeScript(t, "# comment\n\necho $GREETING from $1\nechoerr to stderr\nsleep 1ms\nexit 3\necho not reached\n")
	fp := newFakeProcess()
	if code := runScript(f, []string{"arg1"}, fp.process()); code != 3 {
		t.Errorf("exit code %d, want 3", code)
	}
	if got := fp.stdout.String(); got != "hi from arg1\n" {
		t.Errorf("stdout = %q", got)
	}
	if got := fp.stderr.String(); got != "to stderr\n" {
		t.Errorf("stderr = %q", got)
	}

	fp = newFakeProcess()
	if code := runScript(writeScript(t, "echo done\n"), nil, fp.process()); code != 0 || fp.stdout.String() != "done\n" {
		t.Errorf("end of script: code %d, stdout %q", code, fp.stdout.String())
	}
	fp = newFakeProcess()
	if code := runScript(writeScript(t, "frobnicate\n"), nil, fp.process()); code != 2 || fp.stderr.String() == "" {
		t.Errorf("unknown command: code %d, stderr %q", code, fp.stderr.String())
	}
}
