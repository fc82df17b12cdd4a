// Reads the system certificate pool and the system zoneinfo database at
// run time (CGO_ENABLED=0, so both are pure Go).
package main

import (
	"crypto/x509"
	"os"
	"time"
)

func main() {
	if _, err := x509.SystemCertPool(); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("location: " + loc.String() + "\n")
}
