package handler_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

func TestPreviewOccurrencesInTheUsersZone(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.newUser(rpctest.Connect) // Europe/Paris
	paris, _ := time.LoadLocation("Europe/Paris")
	// Monday 2027-03-22 09:00 Paris; every 2 weeks on Monday and Thursday, across the
	// change to summer time on 2027-03-28.
	start := time.Date(2027, 3, 22, 9, 0, 0, 0, paris)
	resp, err := u.tasks.PreviewOccurrences(ctx, connect.NewRequest(&taskv1.PreviewOccurrencesRequest{
		Rule: &taskv1.RecurrenceRule{
			Frequency: taskv1.Frequency_FREQUENCY_WEEKLY, Interval: 2,
			Weekdays: []taskv1.Weekday{taskv1.Weekday_WEEKDAY_MONDAY, taskv1.Weekday_WEEKDAY_THURSDAY},
		},
		Start: &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(start)}},
		Count: 4,
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{
		start, time.Date(2027, 3, 25, 9, 0, 0, 0, paris),
		time.Date(2027, 4, 5, 9, 0, 0, 0, paris), time.Date(2027, 4, 8, 9, 0, 0, 0, paris),
	}
	got := resp.Msg.GetOccurrences()
	if len(got) != len(want) {
		t.Fatalf("got %d occurrences; want %d", len(got), len(want))
	}
	for i := range want {
		if at := got[i].GetAt().AsTime(); !at.Equal(want[i]) {
			t.Fatalf("occurrence %d at %v; want %v (09:00 Paris)", i, at.In(paris), want[i])
		}
	}
}

func TestPreviewOccurrencesLastFridayAllDayWithCount(t *testing.T) {
	e := newEnv(t)
	u := e.newUser(rpctest.GRPC)
	resp, err := u.tasks.PreviewOccurrences(context.Background(), connect.NewRequest(&taskv1.PreviewOccurrencesRequest{
		Rule: &taskv1.RecurrenceRule{
			Frequency: taskv1.Frequency_FREQUENCY_MONTHLY, Interval: 1,
			MonthDay: &taskv1.RecurrenceRule_NthWeekday{NthWeekday: &taskv1.NthWeekday{N: -1, Weekday: taskv1.Weekday_WEEKDAY_FRIDAY}},
			End:      &taskv1.RecurrenceRule_Count{Count: 3},
		},
		Start: &taskv1.Due{Kind: &taskv1.Due_Date{Date: &taskv1.Date{Year: 2027, Month: 1, Day: 29}}},
		Count: 10,
	}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range resp.Msg.GetOccurrences() {
		d := o.GetDate()
		got = append(got, time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC).Format(time.DateOnly))
	}
	want := []string{"2027-01-29", "2027-02-26", "2027-03-26"} // the count ends the series at 3
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("occurrences %v; want %v", got, want)
	}
}

func TestPreviewOccurrencesRejectsABadRule(t *testing.T) {
	e := newEnv(t)
	u := e.newUser(rpctest.Connect)
	_, err := u.tasks.PreviewOccurrences(context.Background(), connect.NewRequest(&taskv1.PreviewOccurrencesRequest{
		Rule: &taskv1.RecurrenceRule{
			Frequency: taskv1.Frequency_FREQUENCY_MONTHLY, Interval: 1,
			Weekdays: []taskv1.Weekday{taskv1.Weekday_WEEKDAY_MONDAY}, // weekdays belong to weekly rules
		},
		Start: &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.Now()}},
		Count: 3,
	}))
	rpctest.WantInvalid(t, err, "rule.weekdays")
}
