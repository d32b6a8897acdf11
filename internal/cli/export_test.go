package cli

import "github.com/wardsec/ward/internal/config"

func parseForTest(path string, b []byte) (*config.Config, error) { return config.Parse(path, b) }
