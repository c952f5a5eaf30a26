package settings

import (
	"regexp"
	"strings"
)

// placementRE is one Swarm placement constraint: a node attribute, == or !=, and a value.
var placementRE = regexp.MustCompile(`^(node\.(id|hostname|role|platform\.os|platform\.arch|labels\.[A-Za-z0-9_.\-]+)|engine\.labels\.[A-Za-z0-9_.\-]+)\s*(==|!=)\s*[^\s,=!]+$`)

// SplitPlacement splits a placement setting into its constraints (comma separated, spaces trimmed).
func SplitPlacement(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// PlacementError says what is wrong with a Swarm placement constraint such as node.labels.gpu==true ("" when
// nothing).
func PlacementError(c string) string {
	if len(c) > 200 {
		return "at most 200 characters"
	}
	if !placementRE.MatchString(strings.TrimSpace(c)) {
		return "must be a Swarm placement constraint: node.labels.<name>, node.hostname, node.role, node.id, " +
			"node.platform.os or node.platform.arch, then == or !=, then a value (e.g. node.labels.gpu==true)"
	}
	return ""
}
