package internal

import (
	_ "github.com/jackc/pgx/v5"
	_ "github.com/spf13/cobra"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/term"
	_ "modernc.org/sqlite"
	_ "github.com/google/go-cmp/cmp"
)
