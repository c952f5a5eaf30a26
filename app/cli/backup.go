package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/store"
)

// Backups are taken and restored on the machine that runs kiosc, from its data directory: the database is read
// directly (SQLite lets a reader take a consistent snapshot while kiosc writes), so a backup needs neither a running
// kiosc nor credentials, only read access to the data directory, as cron jobs and backup tools have.

const backupUsage = `Usage:
  kiosc backup FILE [--data-dir DIR]    write a consistent copy of kiosc's database to FILE, while kiosc runs or not
  kiosc restore FILE [--data-dir DIR]   replace kiosc's database by the backup FILE (kiosc must be stopped)

DIR is KIOSC_DATA_DIR, or ./kiosc-data. The secret key (DIR/` + secrets.KeyFile + `, unless KIOSC_SECRET_KEY is set)
decrypts the secrets stored in the database and is not part of the backup: keep a copy of it apart.
`

// dataDirFlags parses FILE and --data-dir.
func dataDirFlags(name string, args []string, stderr io.Writer) (file, dbPath string, err error) {
	fs := flag.NewFlagSet("kiosc "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, backupUsage) }
	dir := os.Getenv("KIOSC_DATA_DIR")
	if dir == "" {
		dir = "./kiosc-data"
	}
	fs.StringVar(&dir, "data-dir", dir, "kiosc's data directory")
	// FILE may come before or after the flags.
	var rest []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return "", "", err
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(rest) != 1 {
		fs.Usage()
		return "", "", errUsage
	}
	return rest[0], filepath.Join(dir, "kiosc.db"), nil
}

var errUsage = errors.New("usage")

// runBackup is `kiosc backup FILE`.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	file, dbPath, err := dataDirFlags("backup", args, stderr)
	if err != nil {
		return usageCode(err)
	}
	if err := store.Backup(ctx, dbPath, file); err != nil {
		fmt.Fprintln(stderr, "kiosc backup:", err)
		return 1
	}
	size := int64(0)
	if fi, err := os.Stat(file); err == nil {
		size = fi.Size()
	}
	fmt.Fprintf(stdout, "Backup of %s written to %s (%s bytes, checked).\n", dbPath, file, strconv.FormatInt(size, 10))
	fmt.Fprintf(stdout, "The secret key (%s or KIOSC_SECRET_KEY) is not in it: keep a copy of the key too.\n",
		filepath.Join(filepath.Dir(dbPath), secrets.KeyFile))
	return 0
}

// runRestore is `kiosc restore FILE`.
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	file, dbPath, err := dataDirFlags("restore", args, stderr)
	if err != nil {
		return usageCode(err)
	}
	if pids := store.OpenBy(dbPath); len(pids) > 0 {
		s := make([]string, len(pids))
		for i, p := range pids {
			s[i] = strconv.Itoa(p)
		}
		fmt.Fprintf(stderr, "kiosc restore: %s is in use by process %s: stop kiosc first\n", dbPath, strings.Join(s, ", "))
		return 1
	}
	if err := os.MkdirAll(filepath.Dir(dbPath), store.DataDirMode); err != nil {
		fmt.Fprintln(stderr, "kiosc restore:", err)
		return 1
	}
	kept, err := store.Restore(ctx, file, dbPath)
	if err != nil {
		fmt.Fprintln(stderr, "kiosc restore:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Restored %s from %s.\n", dbPath, file)
	if kept != "" {
		fmt.Fprintf(stdout, "The database it replaced is kept as %s.\n", kept)
	}
	fmt.Fprintln(stdout, "Start kiosc with the secret key the backup was made with; it adopts the Docker containers it finds.")
	return 0
}

func usageCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
