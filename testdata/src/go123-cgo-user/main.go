// Uses os/user; with CGO_ENABLED=1 this links the cgo getpwnam_r based
// implementation, so the binary becomes dynamically linked.
package main

import (
	"os"
	"os/user"
)

func main() {
	u, err := user.Lookup("root")
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("root home: " + u.HomeDir + "\n")
}
