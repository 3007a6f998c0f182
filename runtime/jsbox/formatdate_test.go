package jsbox

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFormatDate(t *testing.T) {
	t.Parallel()
	const ms = 1741964966535 // 2025-03-14T15:09:26.535Z, a Friday
	cases := []struct {
		ms      float64
		layout  string
		want    string
		wantErr bool
	}{
		{ms: ms, layout: defaultDateLayout, want: "2025-03-14T15:09:26.535Z"},
		{ms: ms, layout: "YYYY-MM-DD HH:mm:ss", want: "2025-03-14 15:09:26"},
		{ms: ms, layout: "D/M/YY h:m:s A a", want: "14/3/25 3:9:26 PM pm"},
		{ms: ms, layout: "dddd, MMMM D [at] hh:mm", want: "Friday, March 14 at 03:09"},
		{ms: ms, layout: "ddd MMM DD Z ZZ", want: "Fri Mar 14 +00:00 +0000"},
		{ms: ms, layout: "X x SSS", want: "1741964966 1741964966535 535"},
		{ms: ms, layout: "[YYYY] [unclosed", want: "YYYY unclosed"},
		{ms: 0, layout: "H h A", want: "0 12 AM"},
		{ms: -1, layout: defaultDateLayout, want: "1969-12-31T23:59:59.999Z"},
		{ms: 1.9, layout: "SSS", want: "001"},
		{ms: -62198755200000, layout: "YYYY-MM-DD", want: "-000001-01-01"},
		{ms: math.NaN(), wantErr: true},
		{ms: 9e15, wantErr: true},
		{ms: 0, layout: string(make([]byte, 300)), wantErr: true},
	}
	for _, c := range cases {
		got, err := formatDate(c.ms, c.layout)
		if c.wantErr {
			require.Error(t, err, "%v %q", c.ms, c.layout)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, c.want, got, "%v %q", c.ms, c.layout)
	}
}
