package cli

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/internal/config"
)

//go:embed ward.yaml.tmpl
var initTemplate []byte

func newInit(env *Env, g *globalFlags) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write an annotated ward.yaml to start from",
		Long: `init writes an annotated configuration with one PostgreSQL source and one
owner entry, to the file named by --config (default ./ward.yaml). It does
not overwrite an existing file unless --force is given.`,
		Example: `  ward init
  ward init -c /etc/ward/ward.yaml
  WARD_EHR_PASSWORD=... ward scan`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := g.config
			if path == "" {
				path = config.DefaultFile
			}
			flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if force {
				flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			f, err := os.OpenFile(path, flags, 0o600)
			if errors.Is(err, fs.ErrExist) {
				return withCode(ExitError, fmt.Errorf("%s already exists: edit it, or pass --force to replace it", path))
			}
			if err != nil {
				return withCode(ExitError, fmt.Errorf("write configuration: %w", err))
			}
			_, err = f.Write(initTemplate)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return withCode(ExitError, fmt.Errorf("write configuration %s: %w", path, err))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: edit its sources, set the password variable, then run `ward scan`\n", path)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing file")
	return cmd
}
