// Command ward finds the service accounts of an organisation's systems,
// shows what each can reach, and reports what violates the HIPAA Security
// Rule. Run `ward --help` for the commands.
//
// Memory: unless the GOMEMLIMIT environment variable is set, ward gives the
// Go runtime a soft memory limit of 256 MiB (defaultMemoryLimit). Below it
// nothing changes; near it the garbage collector runs more often instead of
// letting the heap double, which keeps a scan of a large estate (a million
// grants) under 300 MB resident. It is soft: an estate whose data needs
// more still scans, with more time spent collecting garbage. Set
// GOMEMLIMIT (for example GOMEMLIMIT=1GiB, or GOMEMLIMIT=off) to choose
// another limit or none.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/wardsec/ward/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

// defaultMemoryLimit is the soft memory limit set when GOMEMLIMIT is not.
const defaultMemoryLimit = 256 << 20

func main() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, cli.Env{
		Version: version,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Args:    os.Args[1:],
	})
	stop()
	os.Exit(code)
}
