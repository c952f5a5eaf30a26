package lifecycle

import "strings"

// ScriptPath is where a "#!" command is mounted inside the container.
const ScriptPath = "/kiosc/command"

// Placeholders are the values substituted in commands and environment values.
type Placeholders struct {
	BasePath      string // with trailing slash
	PublicURL     string
	ContainerUUID string
}

// Expand substitutes ${KIOSC_BASE_PATH}, ${KIOSC_PUBLIC_URL}, ${KIOSC_CONTAINER_UUID} and the original Kiosc's
// __KIOSC_URL_PREFIX__ (the base path without its trailing slash).
func (p Placeholders) Expand(s string) string {
	if !strings.Contains(s, "${KIOSC_") && !strings.Contains(s, "__KIOSC_URL_PREFIX__") {
		return s
	}
	return strings.NewReplacer(
		"${KIOSC_BASE_PATH}", p.BasePath,
		"${KIOSC_PUBLIC_URL}", p.PublicURL,
		"${KIOSC_CONTAINER_UUID}", p.ContainerUUID,
		"__KIOSC_URL_PREFIX__", strings.TrimSuffix(p.BasePath, "/"),
	).Replace(s)
}
