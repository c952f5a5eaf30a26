package lifecycle

import (
	"errors"
	"fmt"
	"strings"
)

// ScriptPath is where a "#!" command is mounted inside the container.
const ScriptPath = "/kiosc/command"

// SplitCommand splits a command line into words like a POSIX shell would (single and double quotes, backslash
// escapes), without running a shell or expanding anything.
func SplitCommand(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch ch {
		case '\\':
			if i+1 >= len(s) {
				return nil, errors.New("ends with an unfinished escape (\\)")
			}
			i++
			if s[i] != '\n' { // backslash-newline continues the line
				cur.WriteByte(s[i])
				inWord = true
			}
		case '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unbalanced single quote at position %d", i+1)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) && strings.IndexByte("\\\"$`\n", s[j+1]) >= 0 {
					j++
					if s[j] != '\n' {
						cur.WriteByte(s[j])
					}
					continue
				}
				cur.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unbalanced double quote at position %d", i+1)
			}
			i = j
			inWord = true
		case ' ', '\t', '\n', '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// IsScript reports whether the command is a script to mount and run rather than words to split.
func IsScript(cmd string) bool { return strings.HasPrefix(cmd, "#!") }

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
