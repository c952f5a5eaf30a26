// Package web holds the HTTP basics shared by the API handlers, the reverse proxy and the server: JSON errors in one
// shape, request decoding with limits, the session cookie, authentication, CSRF and origin checks, and the client's
// address behind trusted proxies. It holds no handler of its own.
package web

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/store"
)

// Error is an API error rendered as {"error": {"code", "message", "fields"}}.
type Error struct {
	Status     int               `json:"-"`
	Code       string            `json:"code"`
	Message    string            `json:"message"`
	Fields     map[string]string `json:"fields,omitempty"`
	RetryAfter int               `json:"-"` // seconds; sets the Retry-After header when > 0
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Constructors for the common cases.
func BadRequest(code, msg string) *Error { return &Error{Status: 400, Code: code, Message: msg} }

// Validation reports invalid fields (400 validation_failed).
func Validation(fields map[string]string) *Error {
	msg := "invalid input"
	if len(fields) == 1 {
		for k, v := range fields {
			msg = k + ": " + v
		}
	}
	return &Error{Status: 400, Code: "validation_failed", Message: msg, Fields: fields}
}

// FieldError reports one invalid field.
func FieldError(field, msg string) *Error { return Validation(map[string]string{field: msg}) }

// Unauthorized is 401 for anonymous calls.
func Unauthorized() *Error {
	return &Error{Status: 401, Code: "unauthorized", Message: "authentication required"}
}

// Forbidden is 403 for members without the right.
func Forbidden(msg string) *Error {
	if msg == "" {
		msg = "you do not have permission to do this"
	}
	return &Error{Status: 403, Code: "forbidden", Message: msg}
}

// NotFound is 404; also used for objects a user may not know exist.
func NotFound(what string) *Error {
	return &Error{Status: 404, Code: "not_found", Message: what + " not found"}
}

// Conflict is 409.
func Conflict(msg string) *Error { return &Error{Status: 409, Code: "conflict", Message: msg} }

// Unavailable is 503 with a Retry-After.
func Unavailable(code, msg string, retryAfter int) *Error {
	return &Error{Status: 503, Code: code, Message: msg, RetryAfter: retryAfter}
}

// StoreError maps store errors to API errors (not found, conflict), leaving others as internal errors.
func StoreError(err error, what string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NotFound(what)
	case errors.Is(err, store.ErrConflict):
		return Conflict(what + " conflicts with an existing one: " + err.Error())
	}
	return err
}

// WriteError renders err as JSON with the right status.
func WriteError(c *fiber.Ctx, err error) error {
	var e *Error
	var fe *fiber.Error
	switch {
	case errors.As(err, &e):
	case errors.As(err, &fe):
		e = &Error{Status: fe.Code, Code: codeForStatus(fe.Code), Message: fe.Message}
	default:
		e = storageError(err)
	}
	if e.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(e.RetryAfter))
	}
	return c.Status(e.Status).JSON(fiber.Map{"error": e})
}

// storageError is the answer to an error that is not an API error: 507 when the database's disk is full, 503 when
// the database cannot be read or written, else 500.
func storageError(err error) *Error {
	switch fault := store.StorageFault(err); {
	case errors.Is(fault, store.ErrStorageFull):
		return &Error{Status: 507, Code: "storage_full", RetryAfter: 60,
			Message: "kiosc could not save this: the disk of its data directory is full; an administrator must free space there"}
	case errors.Is(fault, store.ErrStorageUnavailable):
		return &Error{Status: 503, Code: "storage_unavailable", RetryAfter: 30,
			Message: "kiosc cannot read or write its database at the moment; the server log has the details"}
	}
	return &Error{Status: 500, Code: "internal_error", Message: "internal error; the server log has the details"}
}

// ErrorHandler is the server-wide Fiber error handler: JSON for every error, and internal errors logged.
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var e *Error
		var fe *fiber.Error
		if !errors.As(err, &e) && !errors.As(err, &fe) {
			log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
		}
		return WriteError(c, err)
	}
}

func codeForStatus(status int) string {
	switch status {
	case 400:
		return "bad_request"
	case 401:
		return "unauthorized"
	case 403:
		return "forbidden"
	case 404:
		return "not_found"
	case 405:
		return "method_not_allowed"
	case 409:
		return "conflict"
	case 413:
		return "body_too_large"
	case 415:
		return "unsupported_media_type"
	case 422:
		return "unprocessable"
	case 429:
		return "too_many_requests"
	case 503:
		return "unavailable"
	}
	if status >= 500 {
		return "internal_error"
	}
	return "error"
}
