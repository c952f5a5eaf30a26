package store

import (
	"fmt"
	"time"
)

// timeLayout is how timestamps are stored: UTC, fixed width, so string order is time order.
const timeLayout = "2006-01-02T15:04:05.000Z"

// storedNow is the current time as it is stored (UTC, to the millisecond), so that what a write returns equals what
// a later read gives: clients order updates of a record by these times.
func storedNow() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// ts formats a time for storage.
func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

// nts formats an optional time for storage (NULL when nil or zero).
func nts(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return ts(*t)
}

// timeCol scans a stored timestamp into a time.Time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	s, ok := asString(v)
	if !ok {
		return fmt.Errorf("timestamp: unexpected %T", v)
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		t, err = time.Parse(time.RFC3339Nano, s)
	}
	*c.t = t
	return err
}

// nullTimeCol scans a nullable stored timestamp into a *time.Time.
type nullTimeCol struct{ t **time.Time }

func (c nullTimeCol) Scan(v any) error {
	if v == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(v); err != nil {
		return err
	}
	*c.t = &t
	return nil
}

func asString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	case time.Time:
		return x.UTC().Format(timeLayout), true
	}
	return "", false
}
