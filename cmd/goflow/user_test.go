package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// userCreate runs "user create" with args and stdin.
func userCreate(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	a, out, errOut := testApp(env)
	a.stdin = strings.NewReader(stdin)
	err = a.run(context.Background(), append([]string{"user", "create"}, args...))
	return out.String(), errOut.String(), err
}

var generatedPassword = regexp.MustCompile(`(?m)^password: (\S+)$`)

func TestUserCreate(t *testing.T) {
	t.Parallel()
	for name, backend := range storeCases(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			extra, env, _ := backend(t)

			out, stderr, err := userCreate(t, env, "", append([]string{"--username", "Ada", "--admin", "--display-name", "Ada L."}, extra...)...)
			require.NoError(t, err, stderr)
			require.Contains(t, out, "created user ada (administrator)\n", "usernames are lowercased like at sign-in")
			m := generatedPassword.FindStringSubmatch(out)
			require.NotNil(t, m, out)
			require.GreaterOrEqual(t, len(m[1]), 32, "a strong generated password")
			require.Equal(t, 1, strings.Count(out+stderr, m[1]), "the password is printed once")

			out, _, err = userCreate(t, env, "correct horse battery\n", append([]string{"--username", "bob", "--password-stdin"}, extra...)...)
			require.NoError(t, err)
			require.Equal(t, "created user bob\n", out, "no password printed when it was given")

			_, _, err = userCreate(t, env, "", append([]string{"--username", "ada"}, extra...)...)
			require.EqualError(t, err, `user create: the username "ada" is taken`)
			require.NotErrorIs(t, err, errUsage)
		})
	}
}

func TestUserCreateRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		stdin string
		args  []string
		want  string
	}{
		"weak password":      {stdin: "short\n", args: []string{"--username", "ada", "--password-stdin"}, want: "at least 10 bytes"},
		"repeated character": {stdin: "aaaaaaaaaaaa\n", args: []string{"--username", "ada", "--password-stdin"}, want: "one character repeated"},
		"empty stdin":        {stdin: "", args: []string{"--username", "ada", "--password-stdin"}, want: "standard input has no password"},
		"bad username":       {args: []string{"--username", "no spaces"}, want: `username "no spaces": usernames are lowercase letters`},
		"too short username": {args: []string{"--username", "a"}, want: "usernames are"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := userCreate(t, nil, tc.stdin, append(tc.args, "--data-dir", dir)...)
			require.ErrorContains(t, err, tc.want)
			require.NotErrorIs(t, err, errUsage)
		})
	}
	// None of them created an account: the first one still can be.
	out, stderr, err := userCreate(t, nil, "a long enough password\r\n", "--username", "ada", "--password-stdin", "--data-dir", dir)
	require.NoError(t, err, stderr)
	require.Equal(t, "created user ada\n", out)
}

// TestUserCreateThenServe creates the first administrator on the command line: serve then prints
// no setup token, and the printed password signs in.
func TestUserCreateThenServe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, stderr, err := userCreate(t, nil, "", "--username", "root", "--admin", "--data-dir", dir)
	require.NoError(t, err, stderr)
	password := generatedPassword.FindStringSubmatch(out)[1]

	base, log, _ := startServe(t, nil, "--data-dir", dir)
	require.NotContains(t, log.String(), setupMessage)

	resp, body := postJSON(t, base+"/api/auth/login", map[string]any{"username": "root", "password": password}, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", body)
	require.Equal(t, true, body["user"].(map[string]any)["admin"])
	resp, _ = postJSON(t, base+"/api/auth/login", map[string]any{"username": "root", "password": password + "x"}, nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
