package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/pglog"
	"github.com/wardsec/ward/internal/phi"
	"github.com/wardsec/ward/internal/store"
	"github.com/wardsec/ward/internal/watch"
	"github.com/wardsec/ward/internal/watch/alert"
)

// sinkCloseTimeout bounds the delivery of the alerts still queued when
// `ward watch` stops.
const sinkCloseTimeout = 5 * time.Second

type watchFlags struct {
	fromStart bool
	sources   []string
}

func newWatch(env *Env, g *globalFlags) *cobra.Command {
	f := &watchFlags{}
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Follow the servers' logs and alert on unusual use of accounts",
		Long: `watch follows the logs listed under each source's logs: in ward.yaml and
alerts, within a second, when an account does something unusual: a service
account used from psql, DBeaver or another interactive tool; a role or grant
change by or on a service account; a burst of failed logins; and, once an
account's usual behaviour has been learned (alerts.learning, default 7 days),
a new client address or program, the first use of a PHI table, activity in
an unusual hour, or a spike in volume.

Alerts go to stdout as JSON lines, and to the webhook and syslog receivers
of the alerts: section, if any; nothing is sent anywhere else. Repeats of
one alert within alerts.group_window are sent once, then summarised with a
count. Alerts name accounts, programs, addresses and objects; they never
hold statement text, which may hold PHI.

The first run starts at the end of the logs (--from-start analyses what they
hold, to learn from history); later runs continue where the last one
stopped. What was learned and how far each log was read are saved next to
the store (STORE.watch.json) every 10 s and when watch stops on SIGINT or
SIGTERM. Service accounts are known from the latest scan in the store, or
else by their names.`,
		Example: `  ward watch
  ward watch --source ehr
  ward watch --from-start | jq 'select(.severity == "high")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWatch(cmd, env, g, f)
		},
	}
	cmd.Flags().BoolVar(&f.fromStart, "from-start", false,
		"on the first run, analyse what the logs already hold instead of starting at their end")
	cmd.Flags().StringSliceVar(&f.sources, "source", nil,
		"follow only this source (repeat for more)")
	return cmd
}

func runWatch(cmd *cobra.Command, env *Env, g *globalFlags, f *watchFlags) error {
	ctx := cmd.Context()
	cfg, err := config.LoadWithoutSecrets(config.Resolve(g.config))
	if err != nil {
		return withCode(ExitError, err)
	}
	sources, err := watchSources(cfg, f.sources)
	if err != nil {
		return withCode(ExitError, err)
	}
	log := watchLogger(env.Stderr, g.verbose)
	sink, dests, err := alertSinks(cfg, cmd.OutOrStdout(), log)
	if err != nil {
		return withCode(ExitError, err)
	}
	kinds, resources, note, err := latestInventory(ctx, cfg)
	if err != nil {
		sink.Close(context.Background())
		return withCode(ExitError, err)
	}
	matcher, err := phi.NewMatcher(cfg.PHI)
	if err != nil {
		sink.Close(context.Background())
		return withCode(ExitError, err)
	}
	phiOf := watch.NewPHI(matcher, resources)

	state := watch.StatePath(cfg.Store)
	fmt.Fprintf(env.Stderr, "ward watch: following %s; alerts to %s; %s; state in %s\n",
		sourceNames(sources), strings.Join(dests, ", "), note, state)
	sum, err := watch.Run(ctx, watch.RunOptions{
		Sources: sources, StatePath: state, FromStart: f.fromStart, Log: log,
		Following: func(source string, from watch.FollowStart) {
			how := "from the end of its logs"
			switch {
			case from.Resumed:
				how = "continuing where the last run stopped"
			case f.fromStart:
				how = "from the start of its logs"
			}
			fmt.Fprintf(env.Stderr, "ward watch: source %s: following, %s\n", source, how)
		},
		Engine: watch.EngineOptions{
			Config: watch.Config{Learning: cfg.Alerts.Learning,
				GroupWindow:  cfg.Alerts.GroupWindow,
				FailedLogins: cfg.Policy.AuthFailures, FailedWindow: cfg.Policy.AuthFailureWindow},
			Kind: watch.NewKinds(kinds, cfg.Owners).Kind, PHI: phiOf.Table, Sink: sink,
		},
	})
	closeCtx, cancel := context.WithTimeout(context.Background(), sinkCloseTimeout)
	defer cancel()
	sink.Close(closeCtx)
	writeWatchSummary(env.Stderr, sum, sink)
	if err != nil {
		return withCode(ExitError, err)
	}
	return nil
}

// watchSources returns the sources to follow: those with logs, or the
// ones named.
func watchSources(cfg *config.Config, only []string) ([]watch.LogSource, error) {
	var out []watch.LogSource
	var names []string
	for _, s := range cfg.Sources {
		names = append(names, s.Name)
		if len(only) > 0 && !slices.Contains(only, s.Name) {
			continue
		}
		if len(s.Logs) == 0 {
			if len(only) > 0 {
				return nil, fmt.Errorf("source %s lists no logs: add its log files or "+
					"directory under logs: in %s", s.Name, cfg.Path)
			}
			continue
		}
		out = append(out, watch.LogSource{Name: s.Name, Paths: s.Logs,
			Format: pglog.Format(s.LogFormat), Prefix: s.LogLinePrefix})
	}
	for _, n := range only {
		if !slices.Contains(names, n) {
			return nil, fmt.Errorf("--source %s: no such source in %s", n, cfg.Path)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no source in %s lists logs: add the server's log directory "+
			"under a source's logs:, such as logs: [/var/lib/postgresql/15/main/log]", cfg.Path)
	}
	return out, nil
}

func sourceNames(ss []watch.LogSource) string {
	var names []string
	for _, s := range ss {
		names = append(names, s.Name)
	}
	return "source " + strings.Join(names, ", ")
}

// watchLogger reports the problems of a long-running watch (logs that
// cannot be read, receivers that fail) on stderr; -v adds debug details.
func watchLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// alertSinks builds the destinations of the alerts section and says what
// they are. Only what the configuration names is used.
func alertSinks(cfg *config.Config, stdout io.Writer, log *slog.Logger) (alert.Multi, []string,
	error) {
	a := cfg.Alerts
	var sinks alert.Multi
	var dests []string
	if a.Stdout {
		sinks = append(sinks, alert.NewJSONLines(stdout))
		dests = append(dests, "stdout")
	}
	// Each failed attempt is a Debug line; an alert given up on is one
	// Warn line with its ID (the webhook's X-Ward-Alert-Id) and why.
	queue := func(kind string) alert.QueueOptions {
		return alert.QueueOptions{
			OnError: func(err error, attempt int) {
				log.Debug("alert delivery failed", "to", kind, "attempt", attempt, "err", err)
			},
			OnDrop: func(id string, err error) {
				log.Warn("alert not delivered", "to", kind, "alert_id", id, "err", err)
			},
		}
	}
	if w := a.Webhook; w != nil {
		key, err := config.ResolveSecret(cfg, w.SecretRef)
		if err != nil {
			return nil, nil, fmt.Errorf("alerts.webhook.secret: %w", err)
		}
		hook, err := alert.NewWebhook(alert.WebhookOptions{URL: w.URL, Secret: key,
			Timeout: w.Timeout, Queue: queue("webhook")})
		if err != nil {
			return nil, nil, err
		}
		sinks = append(sinks, hook)
		dests = append(dests, "webhook "+hook.Host())
	}
	if s := a.Syslog; s != nil {
		sl, err := alert.NewSyslog(alert.SyslogOptions{Network: s.Network, Address: s.Address,
			Facility: config.SyslogFacilities[s.Facility],
			Queue:    queue("syslog")})
		if err != nil {
			sinks.Close(context.Background())
			return nil, nil, err
		}
		sinks = append(sinks, sl)
		dests = append(dests, "syslog "+s.Network+" "+s.Address)
	}
	if len(sinks) == 0 {
		return nil, nil, fmt.Errorf("alerts would go nowhere: %s sets alerts.stdout to false "+
			"and names no webhook or syslog receiver", cfg.Path)
	}
	return sinks, dests, nil
}

// latestInventory reads, when the store holds a scan, the accounts (for
// their kind) and resources (for PHI) of each source's latest scan. A
// missing store is not an error: kinds then come from account names.
func latestInventory(ctx context.Context, cfg *config.Config) ([]inventory.Account,
	map[string][]inventory.Resource, string, error) {
	const none = "no scan in the store: service accounts known by name only"
	if _, err := os.Stat(cfg.Store); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, none, nil
	}
	st, err := openStore(ctx, cfg.Store)
	if err != nil {
		return nil, nil, "", err
	}
	defer st.Close()
	latest, err := st.LatestScan(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, none, nil
	}
	if err != nil {
		return nil, nil, "", err
	}
	v := &storeView{cfg: cfg, st: st, latest: latest}
	per, _, err := v.latestAccounts(ctx, "")
	if err != nil {
		return nil, nil, "", err
	}
	var accounts []inventory.Account
	resources := map[string][]inventory.Resource{}
	scans := map[string][]inventory.SourceResult{}
	for _, sa := range per {
		accounts = append(accounts, sa.accounts...)
		srcs, ok := scans[sa.scanID]
		if !ok {
			if srcs, err = st.Sources(ctx, sa.scanID); err != nil {
				return nil, nil, "", err
			}
			scans[sa.scanID] = srcs
		}
		for _, s := range srcs {
			if s.Name == sa.source && s.Snapshot != nil {
				resources[s.Name] = s.Snapshot.Resources
			}
		}
	}
	note := fmt.Sprintf("account kinds and PHI tables from scan %s", latest.ID)
	return accounts, resources, note, nil
}

// writeWatchSummary tells on stderr what a watch did when it stops.
func writeWatchSummary(w io.Writer, sum watch.Summary, sink alert.Multi) {
	var events, skipped int64
	var first inventory.Position
	for _, s := range sum.Sources {
		events += s.Events
		if s.Skipped > 0 && skipped == 0 {
			first = s.FirstSkipped
		}
		skipped += s.Skipped
	}
	fmt.Fprintf(w, "ward watch: stopped after %d events, %d alerts (%d repeats summarised)\n",
		events, sum.Engine.Alerts, sum.Engine.Repeats)
	if skipped > 0 {
		fmt.Fprintf(w, "ward watch: %d lines skipped, first at %s:%d\n", skipped, first.File,
			first.Line)
	}
	for _, s := range sink {
		c, ok := s.(alert.Counter)
		if !ok {
			continue
		}
		if st := c.Stats(); st.Dropped > 0 || st.Failed > 0 {
			fmt.Fprintf(w, "ward watch: %d alerts dropped and %d failed at %s\n", st.Dropped,
				st.Failed, sinkName(s))
		}
	}
}

func sinkName(s alert.Sink) string {
	switch s := s.(type) {
	case *alert.Webhook:
		return "webhook " + s.Host()
	case *alert.Syslog:
		return "syslog"
	}
	return "stdout"
}
