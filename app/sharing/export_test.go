package sharing

import "time"

// SetClock replaces the service's clock, for tests of link lifetimes.
func SetClock(s *Service, now func() time.Time) { s.now = now }
