package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/web"
	"github.com/goflow-dev/goflow/web/auth"
)

const userUsage = `Usage:
  goflow user create --username NAME [--admin] [--display-name NAME] [--password-stdin] [flags]
                     create an account; without --password-stdin a strong password is
                     generated and printed once

Works on the server's store (the same --data-dir or --database-url), running or not.
`

// userCmd runs "user create".
func (a app) userCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(a.stderr, userUsage)
		return usageError("user: no subcommand given (create)")
	}
	switch args[0] {
	case "create":
		return a.userCreate(ctx, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(a.stdout, userUsage)
		return nil
	default:
		fmt.Fprint(a.stderr, userUsage)
		return usageError("user: unknown subcommand %q (want create)", args[0])
	}
}

// cliActor is the actor the command line's writes are recorded under.
const cliActor = "cli"

func (a app) userCreate(ctx context.Context, args []string) (err error) {
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	env := envBindings{}
	var (
		spec          web.UserSpec
		passwordStdin bool
		sf            storeFlags
		lf            logFlags
	)
	fs.StringVar(&spec.Username, "username", "", "the new account's username (required): lowercase letters, digits, '_' and '-'")
	fs.BoolVar(&spec.Admin, "admin", false, "make the account an administrator")
	fs.StringVar(&spec.DisplayName, "display-name", "", "the name shown for the account")
	fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	sf.register(fs, env)
	lf.register(fs, env)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), userUsage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := a.parse(fs, env, args); err != nil {
		return helpOK(err)
	}
	// Sign-in lowercases and trims usernames the same way.
	spec.Username = strings.ToLower(strings.TrimSpace(spec.Username))
	if spec.Username == "" {
		return usageError("user create: --username is required")
	}
	if err := domain.CheckUsername(spec.Username); err != nil {
		return fmt.Errorf("user create: username %q: %w", spec.Username, readable(err))
	}
	generated := !passwordStdin
	if passwordStdin {
		if spec.Password, err = readPasswordLine(a.stdin); err != nil {
			return fmt.Errorf("user create: %w", err)
		}
	} else {
		spec.Password = auth.NewSecret()
	}
	// Checked here too, before the store is opened, for an answer worded for a terminal.
	if err := auth.CheckPasswordPolicy(spec.Password); err != nil {
		return fmt.Errorf("user create: %w", err)
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
	if n, err := st.Migrate(ctx); err != nil {
		return err
	} else if n > 0 {
		log.Info("migrations applied", "store", desc, "count", n)
	}

	if err := web.CreateUser(ctx, st, auth.Params{}, cliActor, spec); err != nil {
		return fmt.Errorf("user create: %w", readable(err))
	}
	role := ""
	if spec.Admin {
		role = " (administrator)"
	}
	fmt.Fprintf(a.stdout, "created user %s%s\n", spec.Username, role)
	if generated {
		fmt.Fprintf(a.stdout, "password: %s\n(shown only this once: keep it somewhere safe, or change it after signing in)\n", spec.Password)
	}
	return nil
}

// readPasswordLine reads the first line of r, without its line ending.
func readPasswordLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("--password-stdin: standard input has no password")
	}
	return line, nil
}

// readable shows a domain error as its message alone, without the code and path meant for API
// clients; other errors are left as they are.
func readable(err error) error {
	if de, ok := errors.AsType[*domain.Error](err); ok {
		return messageOnly{de}
	}
	return err
}

type messageOnly struct{ err *domain.Error }

func (e messageOnly) Error() string { return e.err.Message }
func (e messageOnly) Unwrap() error { return e.err }
