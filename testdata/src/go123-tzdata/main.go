// Embeds the zoneinfo database (time/tzdata), so LoadLocation works even
// where /usr/share/zoneinfo is missing.
package main

import (
	"os"
	"time"
	_ "time/tzdata"
)

func main() {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("location: " + loc.String() + "\n")
}
