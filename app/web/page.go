package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/store"
)

// ParsePage reads ?limit= and ?offset= (clamped by the store), naming the field when one is not a number.
func ParsePage(c *fiber.Ctx) (store.Page, error) {
	var p store.Page
	for _, f := range []struct {
		name string
		dst  *int
	}{{"limit", &p.Limit}, {"offset", &p.Offset}} {
		v := c.Query(f.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, FieldError(f.name, "must be a non-negative whole number")
		}
		*f.dst = n
	}
	return p.Clamp(), nil
}
