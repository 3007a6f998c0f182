package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/goflow-dev/goflow/domain/secretbox"
)

// secretKeyFile is the name of the key file kept in --data-dir when no key is given.
const secretKeyFile = "secret.key"

// secretKeyFlags choose the key that seals data source secrets (see resolve).
type secretKeyFlags struct {
	key         string
	file        string
	insecureDev bool
}

func (f *secretKeyFlags) register(fs *flag.FlagSet, env envBindings) {
	fs.StringVar(&f.key, "secret-key", "",
		withEnv("key sealing data source secrets: 32 bytes as base64 or hex (prefer the environment variable: flags show in ps)", envSecretKey))
	fs.StringVar(&f.file, "secret-key-file", "",
		withEnv("file holding the secret key (must exist and be readable by its owner only)", envSecretKeyFile))
	fs.BoolVar(&f.insecureDev, "insecure-dev-key", false,
		withEnv("with Postgres and no key given, keep a generated key in --data-dir/"+secretKeyFile+" (development only)", envInsecureDevKey))
	env["secret-key"] = envSecretKey
	env["secret-key-file"] = envSecretKeyFile
	env["insecure-dev-key"] = envInsecureDevKey
}

// errNoSecretKey refuses a Postgres server started without a key.
var errNoSecretKey = fmt.Errorf("%w: Postgres needs the key that seals data source secrets: give --secret-key (%s) or "+
	"--secret-key-file (%s); for local development only, --insecure-dev-key (%s) keeps a generated key in --data-dir/%s",
	errUsage, envSecretKey, envSecretKeyFile, envInsecureDevKey, secretKeyFile)

// box returns the secret box sealing with the key resolve finds.
func (f *secretKeyFlags) box(sf storeFlags, log *slog.Logger) (*secretbox.Box, error) {
	key, err := f.resolve(sf, log)
	if err != nil {
		return nil, err
	}
	return secretbox.New(key)
}

// resolve finds the secret key, first of: --secret-key; --secret-key-file; with the embedded
// SQLite store, secret.key beside the database file, created on first start; with Postgres,
// nothing, unless --insecure-dev-key allows a generated --data-dir/secret.key. Postgres gets no
// default because its database outlives and is shared by machines: a key generated on one of
// them would be missing on the others, and every sealed secret with it. Nothing here logs or
// returns key material.
func (f *secretKeyFlags) resolve(sf storeFlags, log *slog.Logger) ([]byte, error) {
	switch {
	case f.key != "":
		if f.file != "" {
			log.Warn("both --secret-key and --secret-key-file are set; using --secret-key", "ignored", f.file)
		}
		key, err := secretbox.ParseKey(f.key)
		if err != nil {
			// ParseKey's errors never repeat the value, which is (nearly) the key.
			return nil, usageError("--secret-key (%s): %v", envSecretKey, err)
		}
		log.Info("secret key loaded", "source", "--secret-key")
		return key, nil
	case f.file != "":
		// A named file must exist: generating one for a mistyped path would lose every secret
		// sealed under the real key.
		if _, err := os.Stat(f.file); errors.Is(err, fs.ErrNotExist) {
			return nil, usageError("--secret-key-file (%s): %s does not exist (make one with: umask 077; openssl rand -base64 32 > %s)",
				envSecretKeyFile, f.file, f.file)
		}
		return loadKeyFile(f.file, log)
	case sf.databaseURL == "":
		return loadKeyFile(filepath.Join(sf.dataDir, secretKeyFile), log)
	case f.insecureDev:
		path := filepath.Join(sf.dataDir, secretKeyFile)
		log.Warn("--insecure-dev-key: sealing data source secrets with a key kept in a local file; "+
			"other servers on this database cannot read them. Do not use this in production", "path", path)
		return loadKeyFile(path, log)
	default:
		return nil, errNoSecretKey
	}
}

// loadKeyFile reads a key file, creating it (mode 0600) when it does not exist.
func loadKeyFile(path string, log *slog.Logger) ([]byte, error) {
	key, created, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	if created {
		log.Info("generated a new secret key", "path", path,
			"note", "back it up with the database: sealed data source secrets cannot be read without it")
	} else {
		log.Info("secret key loaded", "path", path)
	}
	return key, nil
}
