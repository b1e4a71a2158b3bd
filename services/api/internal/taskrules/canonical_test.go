package taskrules_test

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"
	"google.golang.org/protobuf/types/known/timestamppb"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/recurrence"
	"github.com/taskmesh/taskmesh/services/api/internal/taskrules"
)

func TestNameIsCanonical(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"NFC stays", "Caf\u00e9", "Caf\u00e9"},
		{"NFD becomes NFC", "Cafe\u0301", "Caf\u00e9"},
		{"trailing zero-width space", "Work\u200b", "Work"},
		{"leading BOM and ZWNJ", "\ufeff\u200cWork", "Work"},
		{"edges of every kind", "\u00a0\u2060 Work \u200d\u3000", "Work"},
		{"inner joiner kept", "👩\u200d💻 dev", "👩\u200d💻 dev"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := taskrules.Name("name", "name.not_blank", c.in, 50)
			if err != nil || got != c.want {
				t.Fatalf("Name(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
		})
	}
	for _, blank := range []string{"", "\u200b", "\u200b\u200c\u200d", "\ufeff", " \u2060\u00ad\t", "\u202e"} {
		_, err := taskrules.Name("name", "name.not_blank", blank, 50)
		if code, fields := violated(t, err); code != connect.CodeInvalidArgument || !slices.Equal(fields, []string{"name"}) {
			t.Errorf("Name(%q) = %v; want InvalidArgument on name", blank, err)
		}
	}
	// NFC can lengthen a string: the limit holds after normalization.
	long := strings.Repeat("\U0001D15E", 50) // MUSICAL SYMBOL HALF NOTE decomposes under NFC
	if n := utf8.RuneCountInString(norm.NFC.String(long)); n <= 50 {
		t.Fatalf("the probe must lengthen under NFC, but has %d runes", n)
	}
	if _, err := taskrules.Name("name", "name.not_blank", long, 50); err == nil {
		t.Error("a name longer than 50 characters once normalized was accepted")
	}
}

func TestParseIDsReadsOneIDInAnyCase(t *testing.T) {
	id := uuid.New()
	got, err := taskrules.ParseIDs("tag_ids", []string{strings.ToUpper(id.String())})
	if err != nil || len(got) != 1 || got[0] != id || got[0].String() != id.String() {
		t.Fatalf("ParseIDs(upper) = %v, %v; want [%s]", got, err, id)
	}
	_, err = taskrules.ParseIDs("tag_ids", []string{id.String(), strings.ToUpper(id.String())})
	if code, fields := violated(t, err); code != connect.CodeInvalidArgument || !slices.Equal(fields, []string{"tag_ids[1]"}) {
		t.Fatalf("ParseIDs(lower, upper) = %v; want InvalidArgument on tag_ids[1]", err)
	}
	for _, bad := range []string{"x", "{" + id.String() + "}", "urn:uuid:" + id.String(), strings.ReplaceAll(id.String(), "-", "")} {
		if _, err := taskrules.ParseID("id", bad); err == nil {
			t.Errorf("ParseID(%q) accepted", bad)
		}
	}
}

func at(t time.Time) *taskv1.Due { return &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(t)}} }

func on(y, m, d int32) *taskv1.Due {
	return &taskv1.Due{Kind: &taskv1.Due_Date{Date: &taskv1.Date{Year: y, Month: m, Day: d}}}
}

func TestSeriesMustRunWithinYears1To9999InItsZone(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	newYork, _ := time.LoadLocation("America/New_York")
	daily := &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_DAILY, Interval: 1}
	first := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		due   *taskv1.Due
		loc   *time.Location
		field string // "" when accepted
	}{
		{"the first moment in UTC", at(first), time.UTC, ""},
		{"the first moment in Tokyo (still year 1)", at(first), tokyo, ""},
		{"the first moment in New York (year 0)", at(first), newYork, "task.due"},
		{"the last moment in UTC", at(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)), time.UTC, ""},
		{"the last hour in Tokyo (year 10000)", at(time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC)), tokyo, "task.due"},
		{"the first day", on(1, 1, 1), newYork, ""},
		{"the last day", on(9999, 12, 31), tokyo, ""},
		{"an invalid rule", at(first.AddDate(2000, 0, 0)), time.UTC, "task.recurrence.interval"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rule := daily
			if c.field == "task.recurrence.interval" {
				rule = &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_DAILY, Interval: -1}
			}
			r, start, err := taskrules.Series("task.recurrence", "task.due", rule, c.due, c.loc)
			if c.field != "" {
				if code, fields := violated(t, err); code != connect.CodeInvalidArgument || !slices.Equal(fields, []string{c.field}) {
					t.Fatalf("Series = %v; want InvalidArgument on %s", err, c.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// What was accepted can be previewed, and completing its first occurrence
			// finds the next one (or the end of the series) without an error.
			if _, err := recurrence.Occurrences(r, start, c.loc, 3); err != nil {
				t.Fatalf("preview of an accepted series: %v", err)
			}
			if _, _, err := recurrence.Next(r, start, start, 1, time.Time{}, c.loc); err != nil {
				t.Fatalf("next of an accepted series: %v", err)
			}
		})
	}
}

func TestPlanTaskStoresCanonicalText(t *testing.T) {
	id := uuid.New()
	p, err := taskrules.PlanTask(&taskv1.Task{
		Title: "\u200bCafe\u0301\ufeff", Description: "re\u0301sume\u0301",
		TagIds: []string{strings.ToUpper(id.String())},
	}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "Caf\u00e9" || p.Description != "r\u00e9sum\u00e9" || len(p.TagIDs) != 1 || p.TagIDs[0] != id {
		t.Fatalf("plan = %+v", p)
	}
	for _, title := range []string{"\u200b", "\ufeff\u200d", "\u2060 "} {
		_, err := taskrules.PlanTask(&taskv1.Task{Title: title}, time.UTC)
		if code, fields := violated(t, err); code != connect.CodeInvalidArgument || !slices.Equal(fields, []string{"task.title"}) {
			t.Errorf("PlanTask(title %q) = %v; want InvalidArgument on task.title", title, err)
		}
	}
}

// FuzzName: a name that Name accepts is NFC, has no invisible edge, is not blank, and is
// its own canonical form; Name never panics.
func FuzzName(f *testing.F) {
	for _, s := range []string{"Work", "Work\u200b", "Cafe\u0301", "\u200b", "\ufeff", " \u00a0", "👩\u200d💻", "\xff\xfe", "a\u0301\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := taskrules.Name("name", "name.not_blank", in, 50)
		if err != nil {
			return
		}
		first, _ := utf8.DecodeRuneInString(got)
		last, _ := utf8.DecodeLastRuneInString(got)
		for _, r := range []rune{first, last} {
			if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Z, r) {
				t.Fatalf("Name(%q) = %q, which has an invisible edge %U", in, got, r)
			}
		}
		if !norm.NFC.IsNormalString(got) || utf8.RuneCountInString(got) > 50 {
			t.Fatalf("Name(%q) = %q: not NFC or too long", in, got)
		}
		if again, err := taskrules.Name("name", "name.not_blank", got, 50); err != nil || again != got {
			t.Fatalf("Name(Name(%q)) = %q, %v; want %q", in, again, err, got)
		}
	})
}

// FuzzSeries: a series that taskrules.Series accepts can be previewed and its next
// occurrence found in its zone, whatever the start, zone and rule; it never panics.
func FuzzSeries(f *testing.F) {
	zones := []string{"UTC", "Asia/Tokyo", "America/New_York", "Pacific/Kiritimati", "Pacific/Niue", "Europe/Paris"}
	f.Add(int64(-62135596800), int32(0), int32(0), int32(0), uint8(0), int32(1), uint8(1))
	f.Add(int64(-62135596800), int32(0), int32(0), int32(0), uint8(2), int32(1), uint8(1))
	f.Add(int64(253402300799), int32(0), int32(0), int32(0), uint8(1), int32(1), uint8(4))
	f.Add(int64(253402297200), int32(0), int32(0), int32(0), uint8(3), int32(7), uint8(2))
	f.Add(int64(0), int32(9999), int32(12), int32(31), uint8(1), int32(1), uint8(4))
	f.Add(int64(0), int32(1), int32(1), int32(1), uint8(4), int32(1), uint8(3))
	f.Fuzz(func(t *testing.T, secs int64, y, m, d int32, zone uint8, interval int32, freq uint8) {
		loc, err := time.LoadLocation(zones[int(zone)%len(zones)])
		if err != nil {
			t.Fatal(err)
		}
		due := at(time.Unix(secs, 0))
		if y != 0 {
			due = on(y, m, d)
		}
		rule := &taskv1.RecurrenceRule{Frequency: taskv1.Frequency(freq % 6), Interval: interval}
		r, start, err := taskrules.Series("rule", "start", rule, due, loc)
		if err != nil {
			return
		}
		occ, err := recurrence.Occurrences(r, start, loc, 5)
		if err != nil {
			t.Fatalf("preview of an accepted series from %v in %s: %v", start, loc, err)
		}
		for i, o := range occ {
			if d := recurrence.ToProtoDue(o); d.GetAt() != nil && d.GetAt().CheckValid() != nil {
				t.Fatalf("occurrence %d (%v) is no valid Timestamp", i, o)
			}
			if _, _, err := recurrence.Next(r, start, o, i+1, time.Time{}, loc); err != nil {
				t.Fatalf("next after occurrence %d (%v) of an accepted series in %s: %v", i, o, loc, err)
			}
		}
	})
}
