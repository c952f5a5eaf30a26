package main

import "embed"

// spaFS holds the built single-page app. Only frontend/dist/.gitkeep is tracked, so a clone that has not built the
// SPA still compiles; the server then serves a page that says how to build it.
//
//go:embed all:frontend/dist
var spaFS embed.FS

// migrationsFS holds the goose SQL migrations applied at start.
//
//go:embed migrations/*.sql
var migrationsFS embed.FS
