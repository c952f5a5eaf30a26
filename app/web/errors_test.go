package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/store"
)

// A full disk and an unreadable database are answered as what they are, with a message, not as internal errors.
func TestStorageFaultAnswers(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("create container: %w", errors.New("database or disk is full (13)")), 507, "storage_full"},
		{fmt.Errorf("update: %w", store.ErrStorageUnavailable), 503, "storage_unavailable"},
		{errors.New("boom"), 500, "internal_error"},
	} {
		app := fiber.New(fiber.Config{ErrorHandler: ErrorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))})
		app.Get("/", func(*fiber.Ctx) error { return tc.err })
		resp, err := app.Test(httptest.NewRequest("GET", "/", nil))
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Error Error }
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || body.Error.Code != tc.code || body.Error.Message == "" ||
			(tc.status != 500 && resp.Header.Get("Retry-After") == "") {
			t.Errorf("%v: %d %+v %q", tc.err, resp.StatusCode, body.Error, resp.Header.Get("Retry-After"))
		}
	}
}
