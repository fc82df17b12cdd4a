// Uses both the net resolver and os/user. Built with -tags netgo,osusergo
// (pure Go, no cgo) and with -linkmode external -extldflags -static
// (cgo, statically linked glibc).
package main

import (
	"net"
	"os"
	"os/user"
)

func main() {
	addrs, err := net.LookupHost("localhost")
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	for _, a := range addrs {
		os.Stdout.WriteString(a + "\n")
	}
	u, err := user.Lookup("root")
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("root home: " + u.HomeDir + "\n")
}
