package jsbox

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/dop251/goja"
)

// defaultDateLayout matches Date.prototype.toISOString.
const defaultDateLayout = "YYYY-MM-DDTHH:mm:ss.SSS[Z]"

// maxDateMillis is the ECMAScript time value range.
const maxDateMillis = 8.64e15

func (v *vm) hostFormatDate(call goja.FunctionCall) goja.Value {
	layout := defaultDateLayout
	if l := call.Argument(1); !goja.IsUndefined(l) {
		layout = l.String()
	}
	s, err := formatDate(call.Argument(0).ToFloat(), layout)
	if err != nil {
		v.throwType("utils.formatDate: %s", err.Error())
	}
	return v.rt.ToValue(s)
}

// dateTokens are the layout tokens, longest first so that "MMMM" is not read
// as "MM" "MM". The conventions are those of moment.js and Day.js, which
// builders know; text in [brackets] is copied as is.
var dateTokens = []string{
	"YYYY", "MMMM", "dddd", "MMM", "ddd", "SSS",
	"YY", "MM", "DD", "HH", "hh", "mm", "ss", "ZZ",
	"M", "D", "H", "h", "m", "s", "A", "a", "Z", "X", "x",
}

// formatDate formats a time value (milliseconds since the epoch) in UTC.
// Time zones would need the zone database, which is I/O; scripts that need
// local time add the offset themselves.
func formatDate(ms float64, layout string) (string, error) {
	if math.IsNaN(ms) || math.Abs(ms) > maxDateMillis {
		return "", errors.New("invalid time value")
	}
	if len(layout) > 256 {
		return "", errors.New("layout longer than 256 characters")
	}
	msec := int64(math.Floor(ms))
	t := time.UnixMilli(msec).UTC()
	var sb strings.Builder
	for i := 0; i < len(layout); {
		if layout[i] == '[' {
			end := strings.IndexByte(layout[i:], ']')
			if end < 0 {
				sb.WriteString(layout[i+1:])
				break
			}
			sb.WriteString(layout[i+1 : i+end])
			i += end + 1
			continue
		}
		tok := ""
		for _, candidate := range dateTokens {
			if strings.HasPrefix(layout[i:], candidate) {
				tok = candidate
				break
			}
		}
		if tok == "" {
			sb.WriteByte(layout[i])
			i++
			continue
		}
		sb.WriteString(dateToken(t, msec, tok))
		i += len(tok)
	}
	return sb.String(), nil
}

func dateToken(t time.Time, msec int64, tok string) string {
	hour12 := t.Hour() % 12
	if hour12 == 0 {
		hour12 = 12
	}
	switch tok {
	case "YYYY":
		if y := t.Year(); y < 0 {
			return fmt.Sprintf("-%06d", -y)
		}
		return fmt.Sprintf("%04d", t.Year())
	case "YY":
		return fmt.Sprintf("%02d", (t.Year()%100+100)%100)
	case "MMMM":
		return t.Month().String()
	case "MMM":
		return t.Month().String()[:3]
	case "MM":
		return fmt.Sprintf("%02d", int(t.Month()))
	case "M":
		return fmt.Sprint(int(t.Month()))
	case "DD":
		return fmt.Sprintf("%02d", t.Day())
	case "D":
		return fmt.Sprint(t.Day())
	case "dddd":
		return t.Weekday().String()
	case "ddd":
		return t.Weekday().String()[:3]
	case "HH":
		return fmt.Sprintf("%02d", t.Hour())
	case "H":
		return fmt.Sprint(t.Hour())
	case "hh":
		return fmt.Sprintf("%02d", hour12)
	case "h":
		return fmt.Sprint(hour12)
	case "mm":
		return fmt.Sprintf("%02d", t.Minute())
	case "m":
		return fmt.Sprint(t.Minute())
	case "ss":
		return fmt.Sprintf("%02d", t.Second())
	case "s":
		return fmt.Sprint(t.Second())
	case "SSS":
		return fmt.Sprintf("%03d", t.Nanosecond()/int(time.Millisecond))
	case "A":
		if t.Hour() < 12 {
			return "AM"
		}
		return "PM"
	case "a":
		if t.Hour() < 12 {
			return "am"
		}
		return "pm"
	case "Z":
		return "+00:00"
	case "ZZ":
		return "+0000"
	case "X":
		return fmt.Sprint(int64(math.Floor(float64(msec) / 1000)))
	case "x":
		return fmt.Sprint(msec)
	}
	return tok
}
