package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/goflow-dev/goflow/eventstore/delivery"
	"github.com/goflow-dev/goflow/projections"
)

const projectionsUsage = `Usage:
  goflow projections rebuild [name] [flags]   rebuild a projection (all when no name) from the start of the log
  goflow projections status [flags]           show each projection's checkpoint and event count

Stop goflow serve before rebuilding: a running server keeps projecting into the projection being
rebuilt (rebuild refuses while a server holds a projection, unless --force).
`

// projectionsCmd runs "projections rebuild" and "projections status".
func (a app) projectionsCmd(ctx context.Context, args []string) (err error) {
	if len(args) == 0 {
		fmt.Fprint(a.stderr, projectionsUsage)
		return usageError("projections: no subcommand given (rebuild or status)")
	}
	sub := args[0]
	maxArgs := 0
	switch sub {
	case "rebuild":
		maxArgs = 1
	case "status":
	case "-h", "-help", "--help", "help":
		fmt.Fprint(a.stdout, projectionsUsage)
		return nil
	default:
		fmt.Fprint(a.stderr, projectionsUsage)
		return usageError("projections: unknown subcommand %q (want rebuild or status)", sub)
	}

	fs := flag.NewFlagSet("projections "+sub, flag.ContinueOnError)
	env := envBindings{}
	var (
		sf    storeFlags
		lf    logFlags
		force bool
	)
	sf.register(fs, env)
	lf.register(fs, env)
	if sub == "rebuild" {
		fs.BoolVar(&force, "force", false, "rebuild even while a goflow serve is running the projection")
	}
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), projectionsUsage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	names, err := a.parseWithArgs(fs, env, args[1:], maxArgs)
	if err != nil {
		return helpOK(err)
	}
	targets := projections.All()
	if len(names) == 1 {
		p, ok := projections.ByName(names[0])
		if !ok {
			return usageError("projections rebuild: unknown projection %q (known: %s)", names[0], strings.Join(projections.Names(), ", "))
		}
		targets = []projections.Projection{p}
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
		if cerr := st.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close store: %w", cerr))
		}
	}()
	list, err := st.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	for _, m := range list {
		if !m.Applied {
			return fmt.Errorf("%s: migrations pending; run goflow migrate up first", desc)
		}
	}
	docs, closeDocs, err := openDocs(ctx, sf, st)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := closeDocs(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close projections store: %w", cerr))
		}
	}()

	if sub == "status" {
		return a.projectionsStatus(ctx, desc, st, docs)
	}
	if !force {
		for _, p := range targets {
			until, err := delivery.LeaseExpiry(ctx, st, projections.ConsumerGroup(p.Name()), delivery.AllTopic)
			if err != nil {
				return err
			}
			if !until.IsZero() {
				return fmt.Errorf("projection %s is being run by a goflow serve (lease held until %s); stop it first or pass --force",
					p.Name(), until.Format(time.RFC3339))
			}
		}
	}
	width := 0
	for _, p := range targets {
		width = max(width, len(p.Name()))
	}
	fmt.Fprintf(a.stdout, "%s\n", desc)
	for _, p := range targets {
		bar := newProgressBar(a.stderr, p.Name(), width)
		stats, err := projections.Rebuild(ctx, st, docs, p, bar.update)
		bar.finish()
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%-*s  rebuilt from %d events in %s (%.0f events/s)\n",
			width, p.Name(), stats.Events, stats.Elapsed.Round(time.Millisecond), stats.Rate())
	}
	return nil
}

func (a app) projectionsStatus(ctx context.Context, desc string, st store, docs projections.DocStore) error {
	total, err := docs.EventCount(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: %d events in the log\n\n", desc, total)
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROJECTION\tPOSITION\tEVENTS\tRUNNING")
	for _, p := range projections.All() {
		pos, n, err := docs.Checkpoint(ctx, p.Name())
		if err != nil {
			return err
		}
		until, err := delivery.LeaseExpiry(ctx, st, projections.ConsumerGroup(p.Name()), delivery.AllTopic)
		if err != nil {
			return err
		}
		running := "no"
		if !until.IsZero() {
			running = "yes"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", p.Name(), pos, n, running)
	}
	return tw.Flush()
}

// parseWithArgs is parse for commands that take up to maxArgs positional arguments, before or
// after the flags.
func (a app) parseWithArgs(fs *flag.FlagSet, env envBindings, args []string, maxArgs int) ([]string, error) {
	var positional []string
	fs.SetOutput(a.stderr)
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelpShown
			}
			return nil, usageError("%s: %v", fs.Name(), err)
		}
		// Parse stops at the first argument that is not a flag; take it and go on.
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) > maxArgs {
		return nil, usageError("%s: unexpected arguments %q", fs.Name(), positional[maxArgs:])
	}
	if err := applyEnv(fs, env, a.getenv); err != nil {
		return nil, usageError("%s: %v", fs.Name(), err)
	}
	return positional, nil
}

// progressBar draws "pages  [#####-----]  52% 520000/1000000 events  41000 ev/s" on one line,
// redrawn in place at most every 100ms.
type progressBar struct {
	w           io.Writer
	name        string
	width       int
	start, last time.Time
	done, total int64
}

func newProgressBar(w io.Writer, name string, width int) *progressBar {
	return &progressBar{w: w, name: name, width: width, start: time.Now()}
}

func (b *progressBar) update(done, total int64) {
	b.done, b.total = done, total
	if time.Since(b.last) < 100*time.Millisecond && done < total {
		return
	}
	b.last = time.Now()
	b.draw()
}

func (b *progressBar) draw() {
	const cells = 30
	frac := 1.0
	if b.total > 0 {
		frac = min(1, float64(b.done)/float64(b.total))
	}
	n := int(frac * cells)
	rate := float64(b.done) / max(time.Since(b.start).Seconds(), 1e-9)
	fmt.Fprintf(b.w, "\r%-*s  [%s%s] %3.0f%% %d/%d events  %.0f ev/s", b.width, b.name,
		strings.Repeat("#", n), strings.Repeat("-", cells-n), 100*frac, b.done, b.total, rate)
}

// finish draws the final state and ends the line.
func (b *progressBar) finish() {
	b.draw()
	fmt.Fprintln(b.w)
}
