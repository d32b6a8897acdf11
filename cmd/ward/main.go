// Command ward finds the service accounts of an organisation's systems,
// shows what each can reach, and reports what violates the HIPAA Security
// Rule. Run `ward --help` for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/wardsec/ward/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func main() {
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
