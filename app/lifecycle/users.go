package lifecycle

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Owner is a numeric user and group, as the files of a volume are owned.
type Owner struct {
	UID, GID int
}

func (o Owner) String() string { return strconv.Itoa(o.UID) + ":" + strconv.Itoa(o.GID) }

// needsPasswd reports whether resolving user (uid[:gid] or names) needs the image's /etc/passwd: a name, or a uid
// without a group (whose group is the user's primary group when the image knows the uid).
func needsPasswd(user string) bool {
	u, _, hasGroup := strings.Cut(user, ":")
	return !isNumeric(u) || !hasGroup
}

// needsGroup reports whether resolving user needs the image's /etc/group: a group given by name.
func needsGroup(user string) bool {
	_, g, hasGroup := strings.Cut(user, ":")
	return hasGroup && !isNumeric(g)
}

func isNumeric(s string) bool {
	_, err := strconv.ParseUint(s, 10, 32)
	return s != "" && err == nil
}

// resolveUser turns a container's user (uid[:gid], a name, name:group, ...) into numbers the way Docker does when it
// starts the container, from the image's /etc/passwd and /etc/group (either may be empty when the image has none): a
// name must be in passwd, a group name in group; a user without a group gets its primary group from passwd, or 0 for
// a uid passwd does not list.
func resolveUser(user string, passwd, group []byte) (Owner, error) {
	u, g, hasGroup := strings.Cut(user, ":")
	var o Owner
	entry, found := lookupDB(passwd, u, 2)
	switch {
	case isNumeric(u):
		o.UID, _ = strconv.Atoi(u)
		if found {
			o.GID, _ = strconv.Atoi(entry[3])
		}
	case !found:
		return o, fmt.Errorf("the user %q is not known in the image (no such name in its /etc/passwd); give a numeric "+
			"uid[:gid] or a user the image has", u)
	default:
		o.UID, _ = strconv.Atoi(entry[2])
		o.GID, _ = strconv.Atoi(entry[3])
	}
	if !hasGroup {
		return o, nil
	}
	if isNumeric(g) {
		o.GID, _ = strconv.Atoi(g)
		return o, nil
	}
	ge, ok := lookupDB(group, g, 1)
	if !ok {
		return o, fmt.Errorf("the group %q is not known in the image (no such name in its /etc/group); give a numeric "+
			"gid or a group the image has", g)
	}
	o.GID, _ = strconv.Atoi(ge[2])
	return o, nil
}

// lookupDB finds the line of a passwd-style file (numericFields: the fields holding numbers, uid and gid; group files
// have only the gid) whose name, or whose first number when key is numeric, is key. Malformed lines are skipped.
func lookupDB(db []byte, key string, numericFields int) ([]string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(db))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) < 3+numericFields-1 || !isNumeric(f[2]) || (numericFields == 2 && !isNumeric(f[3])) {
			continue
		}
		if f[0] == key || (isNumeric(key) && f[2] == key) {
			return f, true
		}
	}
	return nil, false
}
