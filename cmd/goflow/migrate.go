package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"text/tabwriter"
)

// migrate runs "migrate up" and "migrate status".
func (a app) migrate(ctx context.Context, args []string) (err error) {
	const migrateUsage = "Usage:\n  goflow migrate up [flags]       apply pending migrations\n" +
		"  goflow migrate status [flags]   list migrations and whether each is applied\n"
	if len(args) == 0 {
		fmt.Fprint(a.stderr, migrateUsage)
		return usageError("migrate: no subcommand given (up or status)")
	}
	sub := args[0]
	switch sub {
	case "up", "status":
	case "-h", "-help", "--help", "help":
		fmt.Fprint(a.stdout, migrateUsage)
		return nil
	default:
		fmt.Fprint(a.stderr, migrateUsage)
		return usageError("migrate: unknown subcommand %q (want up or status)", sub)
	}

	fs := flag.NewFlagSet("migrate "+sub, flag.ContinueOnError)
	env := envBindings{}
	var (
		sf storeFlags
		lf logFlags
	)
	sf.register(fs, env)
	lf.register(fs, env)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: goflow migrate %s [flags]\n\nFlags:\n", sub)
		fs.PrintDefaults()
	}
	if err := a.parse(fs, env, args[1:]); err != nil {
		return helpOK(err)
	}
	log, err := lf.logger(a.stderr)
	if err != nil {
		return err
	}
	st, desc, err := openStore(ctx, sf, log)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close store: %w", cerr)
		}
	}()

	if sub == "up" {
		n, err := st.Migrate(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s: applied %d migration(s)\n", desc, n)
		return nil
	}
	list, err := st.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s\n\n", desc)
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tSTATE")
	for _, m := range list {
		state := "pending"
		if m.Applied {
			state = "applied"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\n", m.Version, m.Name, state)
	}
	return tw.Flush()
}

// migrateOnStart applies pending migrations for serve, or with --no-migrate only warns about them.
// It returns how many migrations are still pending.
func migrateOnStart(ctx context.Context, st store, skip bool, log *slog.Logger) (int, error) {
	if skip {
		list, err := st.MigrationStatus(ctx)
		if err != nil {
			return 0, err
		}
		pending := 0
		for _, m := range list {
			if !m.Applied {
				pending++
			}
		}
		if pending > 0 {
			log.Warn("migrations pending and --no-migrate is set; run goflow migrate up", "pending", pending)
		}
		return pending, nil
	}
	n, err := st.Migrate(ctx)
	if err != nil {
		return 0, err
	}
	log.Info("migrations applied", "count", n)
	return 0, nil
}
