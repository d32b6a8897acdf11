package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/ingest"
	"github.com/wardsec/ward/internal/logtail"
)

type ingestFlags struct {
	source string
	format string
}

func newIngest(env *Env, g *globalFlags) *cobra.Command {
	f := &ingestFlags{}
	cmd := &cobra.Command{
		Use:   "ingest [FILE|DIR|GLOB...]",
		Short: "Read PostgreSQL logs into the store as events",
		Long: `ingest reads PostgreSQL server logs (stderr, csvlog or jsonlog, with pgaudit
records; plain or gzip compressed) into ward's store, where ward scan reads
the usage of each account. Without arguments it reads the logs: of every
source in ward.yaml (or of --source); with arguments, those files,
directories and patterns, for --source (needed when ward.yaml has several
sources).

Each file is read from where the last ingest stopped: ingesting a file
twice adds nothing, a rotated, renamed or compressed copy of a file already
read is recognised, and an ingest stopped at any moment (even killed) and
run again stores every event once. When a directory holds one log in
several formats, only one is read (csvlog, else jsonlog, else stderr).

Credentials written to the logs are redacted before anything is stored and
counted as exposures (ward scan reports them). Statements and messages are
stored as shapes, with their literal values replaced by ?: the values,
which may be patient data, stay in the server's logs. Events older than
policy.event_retention (default 400d) are deleted.

Exit status: 0 when everything was read; 2 when a file could not be read,
or on a usage, configuration or store error.`,
		Example: `  ward ingest                                   # the logs: of every source
  ward ingest --source ehr /var/log/postgresql/  # a directory, for source ehr
  ward ingest -s ehr 'pg_log/postgresql-*.csv*'  # a pattern (quoted)
  ward ingest --format json                     # statistics as JSON`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runIngest(cmd, env, g, f, args)
		},
	}
	cmd.Flags().StringVarP(&f.source, "source", "s", "", "the source the logs belong to")
	cmd.Flags().StringVarP(&f.format, "format", "f", "text", "output format: text, json")
	return cmd
}

func runIngest(cmd *cobra.Command, env *Env, g *globalFlags, f *ingestFlags, args []string) error {
	if err := checkFormat(f.format, "text", "json"); err != nil {
		return err
	}
	cfg, err := config.LoadWithoutSecrets(config.Resolve(g.config))
	if err != nil {
		return withCode(ExitError, err)
	}
	sources, err := ingestSources(cfg, f.source, args)
	if err != nil {
		return withCode(ExitError, err)
	}
	ctx := cmd.Context()
	st, err := openStore(ctx, cfg.Store)
	if err != nil {
		return withCode(ExitError, err)
	}
	defer st.Close()

	retention := cfg.Policy.EventRetention
	if retention == 0 {
		retention = config.DefaultEventRetention
	}
	prog := startProgress(env.Stderr, isTerminal(env.Stderr))
	var all []ingest.Stats
	var runErr error
	for _, src := range sources {
		prog.Set("reading the logs of " + src.Name)
		s, err := ingest.Run(ctx, st, ingest.Options{Source: src, Paths: args, Retention: retention,
			Progress: func(s ingest.Stats) {
				prog.Set(fmt.Sprintf("%s: %s events from %s", src.Name, thousands(s.Events), s.Current))
			}})
		all = append(all, s)
		if err != nil {
			runErr = fmt.Errorf("source %s: %w", src.Name, err)
			break
		}
	}
	prog.Stop()

	out := cmd.OutOrStdout()
	if f.format == "json" {
		err = writeIngestJSON(out, all)
	} else {
		writeIngestText(out, all, retention)
	}
	if err != nil {
		return withCode(ExitError, err)
	}
	if ctx.Err() != nil {
		return withCode(ExitError, errors.New("interrupted: what was read so far is stored; "+
			"run ward ingest again to continue"))
	}
	if runErr != nil {
		return withCode(ExitError, runErr)
	}
	if n := failedFiles(all); n > 0 {
		return withCode(ExitError, fmt.Errorf("%d file(s) or path(s) could not be read", n))
	}
	return nil
}

// ingestSources picks the sources to read: with paths, the one named or
// the only one; without, those with logs (of them, the one named).
func ingestSources(cfg *config.Config, name string, paths []string) ([]config.Source, error) {
	if len(cfg.Sources) == 0 {
		return nil, fmt.Errorf("%s lists no sources: add one under sources (see `ward init`)",
			cfg.Path)
	}
	var names []string
	for _, s := range cfg.Sources {
		names = append(names, s.Name)
		if s.Name == name {
			if len(paths) == 0 && len(s.Logs) == 0 {
				return nil, fmt.Errorf("source %s lists no logs: add logs: to it in %s, "+
					"or name the files: ward ingest --source %s FILE...", name, cfg.Path, name)
			}
			return []config.Source{s}, nil
		}
	}
	if name != "" {
		return nil, fmt.Errorf("--source %s: no such source in %s (sources: %s)", name, cfg.Path,
			strings.Join(names, ", "))
	}
	if len(paths) > 0 {
		if len(cfg.Sources) > 1 {
			return nil, fmt.Errorf("say which source the logs belong to: --source %s",
				strings.Join(names, " or --source "))
		}
		return cfg.Sources, nil
	}
	var out []config.Source
	for _, s := range cfg.Sources {
		if len(s.Logs) > 0 {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no source in %s lists logs: add logs: to a source, "+
			"or name the files: ward ingest --source NAME FILE...", cfg.Path)
	}
	return out, nil
}

func failedFiles(all []ingest.Stats) int {
	n := 0
	for i := range all {
		n += len(all[i].Failed())
	}
	return n
}

// writeIngestText prints what each source's ingest did.
func writeIngestText(w io.Writer, all []ingest.Stats, retention time.Duration) {
	for _, s := range all {
		fmt.Fprintf(w, "%s: %s, %s lines, %s events, %s exposures\n", s.Source, fileSummary(s.Files),
			thousands(s.Lines), thousands(s.Events), thousands(s.Exposures))
		if s.Skipped > 0 {
			fmt.Fprintf(w, "  %s lines skipped, first at %s\n", thousands(s.Skipped),
				fileLine(s.FirstSkipped.File, s.FirstSkipped.Line))
		}
		if s.Repaired > 0 {
			fmt.Fprintf(w, "  %s records repaired (invalid UTF-8 replaced), first at %s\n",
				thousands(s.Repaired), fileLine(s.FirstRepaired.File, s.FirstRepaired.Line))
		}
		if s.Expired > 0 || s.Deleted > 0 {
			fmt.Fprintf(w, "  %s events older than the retention (%s) not stored, %s deleted\n",
				thousands(s.Expired), retentionDays(retention), thousands(s.Deleted))
		}
		if s.Untimed > 0 {
			fmt.Fprintf(w, "  %s events without a readable time not stored\n", thousands(s.Untimed))
		}
		if s.Duplicates > 0 {
			fmt.Fprintf(w, "  %s events were already stored\n", thousands(s.Duplicates))
		}
		if s.Filled > 0 {
			fmt.Fprintf(w, "  %s events joined to sessions begun in logs read before\n",
				thousands(s.Filled))
		}
		if s.ViaPooler > 0 {
			fmt.Fprintf(w, "  %s events came through a connection pooler\n", thousands(s.ViaPooler))
		}
		if s.Exposures > 0 {
			fmt.Fprintf(w, "  %s credentials were written in the logs (redacted here): "+
				"ward scan reports them; each must be rotated\n", thousands(s.Exposures))
		}
		var other []logtail.FileReport
		for _, fr := range s.Files {
			switch {
			case fr.Status == logtail.StatusFailed:
				fmt.Fprintf(w, "  cannot read %s: %v\n", fr.Path, fr.Err)
			case fr.Status == logtail.StatusOtherFormat:
				other = append(other, fr)
			case fr.Held > 0:
				fmt.Fprintf(w, "  %s bytes at the end of %s wait for the rest of their line "+
					"(read once the file has not changed for %s)\n", thousands(fr.Held), fr.Path,
					logtail.DefaultSettle)
			}
		}
		if len(other) > 0 {
			// PostgreSQL writes a stub .log beside its .csv or .json files.
			fmt.Fprintf(w, "  %d file(s) left out, holding the same log as a file read in a "+
				"richer format (first: %s, as %s)\n", len(other), other[0].Path,
				filepath.Base(other[0].Other))
		}
	}
}

// fileSummary says how many files were read and how.
func fileSummary(files []logtail.FileReport) string {
	n := map[logtail.Status]int{}
	total := 0
	for _, f := range files {
		if f.Status != logtail.StatusFailed && f.Status != logtail.StatusOtherFormat {
			total++
		}
		n[f.Status]++
	}
	var parts []string
	for _, st := range []logtail.Status{logtail.StatusNew, logtail.StatusResumed,
		logtail.StatusCopy, logtail.StatusRewritten, logtail.StatusUnchanged} {
		if n[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[st], strings.ReplaceAll(string(st), "_", " ")))
		}
	}
	s := fmt.Sprintf("%d files", total)
	if total == 1 {
		s = "1 file"
	}
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

func fileLine(file string, line int64) string { return fmt.Sprintf("%s:%d", file, line) }

func retentionDays(d time.Duration) string { return fmt.Sprintf("%dd", int(d/(24*time.Hour))) }

// thousands writes n with thousands separators.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// ingestJSON is the JSON form of one source's ingest.
type ingestJSON struct {
	Source        string     `json:"source"`
	Files         []fileJSON `json:"files"`
	Bytes         int64      `json:"bytes"`
	Lines         int64      `json:"lines"`
	Records       int64      `json:"records"`
	Events        int64      `json:"events"`
	Exposures     int64      `json:"exposures"`
	Expired       int64      `json:"expired"`
	Deleted       int64      `json:"deleted"`
	Duplicates    int64      `json:"duplicates"`
	Untimed       int64      `json:"untimed"`
	Skipped       int64      `json:"skipped"`
	FirstSkipped  string     `json:"first_skipped,omitempty"`
	Repaired      int64      `json:"repaired"`
	FirstRepaired string     `json:"first_repaired,omitempty"`
	Filled        int64      `json:"joined_to_earlier_sessions"`
	ViaPooler     int64      `json:"via_pooler"`
}

type fileJSON struct {
	Path   string `json:"path"`
	Status string `json:"status"`
	Bytes  int64  `json:"bytes"`
	Held   int64  `json:"held,omitempty"`
	Other  string `json:"same_log_as,omitempty"`
	Error  string `json:"error,omitempty"`
}

func writeIngestJSON(w io.Writer, all []ingest.Stats) error {
	out := make([]ingestJSON, 0, len(all))
	for _, s := range all {
		j := ingestJSON{Source: s.Source, Files: []fileJSON{}, Bytes: s.Bytes, Lines: s.Lines,
			Records: s.Records, Events: s.Events, Exposures: s.Exposures, Expired: s.Expired,
			Deleted: s.Deleted, Duplicates: s.Duplicates, Untimed: s.Untimed, Skipped: s.Skipped,
			Repaired: s.Repaired, Filled: s.Filled, ViaPooler: s.ViaPooler}
		if s.Skipped > 0 {
			j.FirstSkipped = fileLine(s.FirstSkipped.File, s.FirstSkipped.Line)
		}
		if s.Repaired > 0 {
			j.FirstRepaired = fileLine(s.FirstRepaired.File, s.FirstRepaired.Line)
		}
		for _, f := range s.Files {
			fj := fileJSON{Path: f.Path, Status: string(f.Status), Bytes: f.Bytes, Held: f.Held,
				Other: f.Other}
			if f.Err != nil {
				fj.Error = f.Err.Error()
			}
			j.Files = append(j.Files, fj)
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
