// Imports github.com/mattn/go-sqlite3 but is built with CGO_ENABLED=0, so
// the driver's !cgo stub (static_mock.go) is compiled: sql.Open succeeds
// and the first real use fails with "requires cgo".
package main

import (
	"database/sql"
	"os"

	_ "github.com/mattn/go-sqlite3"
)

func main() {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	defer db.Close()
	if err := db.Ping(); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("sqlite3 opened\n")
}
