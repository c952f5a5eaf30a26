package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/gofiber/fiber/v2"
)

// MaxBodyBytes is the largest API request body (spec section 14).
const MaxBodyBytes = 1 << 20

// Decode reads a JSON body into v: at most MaxBodyBytes (413 otherwise), unknown fields rejected naming the field,
// malformed JSON and wrong types reported with their position or field.
func Decode(c *fiber.Ctx, v any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return BadRequest("invalid_json", "request body must be a JSON object")
	}
	if ct := string(c.Request().Header.ContentType()); ct != "" && !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) {
		return &Error{Status: 415, Code: "unsupported_media_type", Message: "Content-Type must be application/json"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return BadRequest("invalid_json", "request body must hold exactly one JSON value")
	}
	return nil
}

func readBody(c *fiber.Ctx) ([]byte, error) {
	tooLarge := &Error{Status: 413, Code: "body_too_large", Message: fmt.Sprintf("request body exceeds %d bytes", MaxBodyBytes)}
	if c.Request().Header.ContentLength() > MaxBodyBytes {
		return nil, tooLarge
	}
	// With streamed request bodies (needed by the proxy) the body may still be on the wire: read at most the limit.
	if s := c.Context().RequestBodyStream(); s != nil {
		b, err := io.ReadAll(io.LimitReader(s, MaxBodyBytes+1))
		if err != nil {
			return nil, BadRequest("invalid_body", "could not read request body")
		}
		if len(b) > MaxBodyBytes {
			return nil, tooLarge
		}
		return b, nil
	}
	b := c.Body()
	if len(b) > MaxBodyBytes {
		return nil, tooLarge
	}
	return b, nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return BadRequest("invalid_json", fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn))
	case errors.As(err, &typ):
		field := apiField(typ.Field)
		if field == "" {
			field = "body"
		}
		return FieldError(field, fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return FieldError(name, "unknown field")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return BadRequest("invalid_json", "malformed JSON: unexpected end of input")
	}
	return BadRequest("invalid_json", "malformed JSON: "+err.Error())
}

// apiField is the path of a field as the API names it. encoding/json puts the Go name of an embedded struct before
// the fields promoted from it (Patch.container_port); the API's own names are lower case.
func apiField(path string) string {
	for {
		head, rest, ok := strings.Cut(path, ".")
		if !ok || head == "" || !unicode.IsUpper(rune(head[0])) {
			return path
		}
		path = rest
	}
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "int", "int64", "int32", "uint", "uint64", "uint32", "uint16", "float64", "float32":
		return "a number"
	}
	return k
}
