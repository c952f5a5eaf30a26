package api

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns the OpenAPI 3 description of the API under /api/v1.
func OpenAPIDocument() []byte { return openAPIDocument }

// OpenAPI serves the OpenAPI document. It is documentation, so anyone may read it.
type OpenAPI struct{}

// Register adds GET /openapi.json under /api/v1.
func (*OpenAPI) Register(r fiber.Router) {
	r.Get("/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(openAPIDocument)
	})
}
