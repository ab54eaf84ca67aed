package units

import (
	"fmt"
	"time"
)

// FormatElapsed writes seconds since a start as minutes and seconds to a
// tenth, "12:03.4", as the live status and the watch's messages show it.
func FormatElapsed(sec float64) string {
	d := time.Duration(sec * float64(time.Second)).Round(100 * time.Millisecond)
	m := int(d / time.Minute)
	return fmt.Sprintf("%d:%04.1f", m, (d - time.Duration(m)*time.Minute).Seconds())
}
