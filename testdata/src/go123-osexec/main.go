// Runs a command through a shell with os/exec: it starts, then the call
// fails where there is no /bin/sh.
package main

import (
	"os"
	"os/exec"
)

func main() {
	out, err := exec.Command("/bin/sh", "-c", "echo from a shell").CombinedOutput()
	os.Stdout.Write(out)
	if err != nil {
		os.Stdout.WriteString("exec failed: " + err.Error() + "\n")
	}
}
