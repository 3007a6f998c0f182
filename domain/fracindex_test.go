package domain_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
)

func TestKeyBetween(t *testing.T) {
	t.Parallel()
	// Expected values match the reference implementation (rocicorp/fractional-indexing).
	tests := []struct {
		a, b, want string
	}{
		{"", "", "a0"},
		{"", "a0", "Zz"},
		{"", "Zz", "Zy"},
		{"a0", "", "a1"},
		{"a1", "", "a2"},
		{"a0", "a1", "a0V"},
		{"a1", "a2", "a1V"},
		{"a0V", "a1", "a0l"},
		{"Zz", "a0", "ZzV"},
		{"Zz", "a1", "a0"},
		{"", "Y00", "Xzzz"},
		{"bzz", "", "c000"},
		{"a0", "a0V", "a0G"},
		{"a0", "a0G", "a08"},
		{"b125", "b129", "b127"},
		{"a0", "a1V", "a1"},
		{"Zz", "a01", "a0"},
		{"", "a0V", "a0"},
		{"", "b999", "b99"},
		{"zzzzzzzzzzzzzzzzzzzzzzzzzzy", "", "zzzzzzzzzzzzzzzzzzzzzzzzzzz"},
		{"zzzzzzzzzzzzzzzzzzzzzzzzzzz", "", "zzzzzzzzzzzzzzzzzzzzzzzzzzzV"},
		{"", "A000000000000000000000000001", "A000000000000000000000000000V"},
	}
	for _, tt := range tests {
		got, err := domain.KeyBetween(tt.a, tt.b)
		require.NoError(t, err, "KeyBetween(%q, %q)", tt.a, tt.b)
		require.Equal(t, tt.want, got, "KeyBetween(%q, %q)", tt.a, tt.b)
		if tt.a != "" {
			require.Less(t, tt.a, got)
		}
		if tt.b != "" {
			require.Less(t, got, tt.b)
		}
	}
}

func TestKeyBetweenRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, a, b string
	}{
		{"a equals b", "a0", "a0"},
		{"a above b", "a1", "a0"},
		{"trailing zero", "a00", ""},
		{"bad head", "00", ""},
		{"too short integer", "b1", ""},
		{"bad character", "a0!", ""},
		{"smallest integer", "A00000000000000000000000000", ""},
		{"b is the smallest integer", "", "A00000000000000000000000000"},
		{"trailing zero in b", "a0", "a10"},
		{"empty fraction digit", "a0", "a1 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := domain.KeyBetween(tt.a, tt.b)
			require.Error(t, err)
			require.True(t, errors.Is(err, domain.ErrInvalidKey), "%v", err)
		})
	}
}

// TestKeyBetweenRandomInsertions inserts keys at random positions and checks that the keys
// stay strictly ordered by plain string comparison and valid.
func TestKeyBetweenRandomInsertions(t *testing.T) {
	t.Parallel()
	for seed := uint64(1); seed <= 5; seed++ {
		rng := rand.New(rand.NewPCG(seed, 42))
		var keys []string
		for i := 0; i < 2000; i++ {
			pos := rng.IntN(len(keys) + 1)
			// Bias towards the ends and towards one hot spot, the worst cases for key length.
			switch rng.IntN(4) {
			case 0:
				pos = 0
			case 1:
				pos = len(keys)
			}
			a, b := "", ""
			if pos > 0 {
				a = keys[pos-1]
			}
			if pos < len(keys) {
				b = keys[pos]
			}
			k, err := domain.KeyBetween(a, b)
			require.NoError(t, err, "seed %d: KeyBetween(%q, %q)", seed, a, b)
			require.NoError(t, domain.ValidateKey(k))
			keys = slices.Insert(keys, pos, k)
		}
		require.True(t, slices.IsSorted(keys), "seed %d: keys out of order", seed)
		for i := 1; i < len(keys); i++ {
			require.NotEqual(t, keys[i-1], keys[i], "seed %d: duplicate key", seed)
		}
	}
}

func TestKeyBetweenRepeatedAppendAndPrepend(t *testing.T) {
	t.Parallel()
	last, first := "", ""
	for i := 0; i < 5000; i++ {
		k, err := domain.KeyBetween(last, "")
		require.NoError(t, err)
		require.Greater(t, k, last)
		last = k
		k, err = domain.KeyBetween("", first)
		require.NoError(t, err)
		if first != "" {
			require.Less(t, k, first)
		}
		first = k
	}
	require.LessOrEqual(t, len(last), 4, "appends should grow keys slowly: %q", last)
}
