package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	notificationv1 "github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/meshtest"
)

// BenchmarkReminders measures, through the real mesh:
//
//   - 1,000 reminders due within the same minute: lateness (arrival on the user's
//     WebSocket minus the time asked for) p50/p99, and how many arrived exactly once on
//     the socket and in the inbox;
//
//   - completing an occurrence of a recurring task until the next occurrence reaches the
//     user's socket, p50/p99 over 100 completions.
//
//     go test ./test/e2e -run '^$' -bench Reminders -benchtime 1x -timeout 20m
func BenchmarkReminders(b *testing.B) {
	m := meshtest.Start(b)
	for b.Loop() {
		p50, p99, once, total := remindersInOneMinute(b, m.WebURL, 1000)
		b.ReportMetric(ms(p50), "reminder-late-p50-ms")
		b.ReportMetric(ms(p99), "reminder-late-p99-ms")
		b.ReportMetric(float64(once), "reminders-exactly-once")
		b.ReportMetric(float64(total), "reminders")

		c50, c99 := completionToNext(b, m.WebURL, 100)
		b.ReportMetric(ms(c50), "next-occurrence-p50-ms")
		b.ReportMetric(ms(c99), "next-occurrence-p99-ms")
	}
}

func remindersInOneMinute(b *testing.B, webURL string, n int) (p50, p99 time.Duration, exactlyOnce, total int) {
	u := signUp(b, webURL, false)
	s, _ := dialSocket(b, webURL, u, 0)
	start := time.Now().Add(40 * time.Second).Truncate(time.Second)
	step := time.Minute / time.Duration(n)
	// Create the tasks with 8 concurrent writers.
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				at := start.Add(time.Duration(i) * step)
				_, err := u.tasks.CreateTask(context.Background(), connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{
					Title: "reminder load", Reminders: []*taskv1.Reminder{{When: &taskv1.Reminder_At{At: timestamppb.New(at)}}},
				}}))
				if err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if time.Now().After(start) {
		b.Fatalf("creating %d tasks took past the first reminder time", n)
	}
	seen := map[string]int{}
	var lat []time.Duration
	deadline := start.Add(time.Minute + 15*time.Second)
	for len(seen) < n && time.Now().Before(deadline) {
		f, err := s.next(time.Until(deadline))
		if err != nil {
			break
		}
		up := f.GetUpdate()
		if up.GetKind() != eventsv1.TaskUpdateKind_TASK_UPDATE_KIND_REMINDER {
			continue
		}
		nt := up.GetNotification()
		seen[nt.GetTaskId()]++
		if seen[nt.GetTaskId()] == 1 {
			lat = append(lat, time.Since(nt.GetRemindAt().AsTime()))
		}
	}
	s.silent(3 * time.Second) // duplicates would show up here
	for _, c := range seen {
		if c == 1 {
			exactlyOnce++
		}
	}
	inbox, err := u.inbox.ListNotifications(context.Background(), connect.NewRequest(&notificationv1.ListNotificationsRequest{PageSize: 1}))
	if err != nil {
		b.Fatal(err)
	}
	if got := int(inbox.Msg.GetUnreadCount()); got != n {
		b.Errorf("inbox has %d unread notifications; want %d", got, n)
	}
	if len(lat) == 0 {
		b.Fatal("no reminder arrived")
	}
	p50, p99 = percentiles(lat)
	return p50, p99, exactlyOnce, len(seen)
}

func completionToNext(b *testing.B, webURL string, n int) (time.Duration, time.Duration) {
	u := signUp(b, webURL, false)
	s, _ := dialSocket(b, webURL, u, 0)
	ctx := context.Background()
	var lat []time.Duration
	for range n {
		r, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{
			Title: "daily", Due: &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(time.Now().Add(time.Hour))}},
			Recurrence: &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_DAILY, Interval: 1},
		}}))
		if err != nil {
			b.Fatal(err)
		}
		series := r.Msg.GetTask().GetSeriesId()
		begin := time.Now()
		if _, err := u.tasks.CompleteTask(ctx, connect.NewRequest(&taskv1.CompleteTaskRequest{Id: r.Msg.GetTask().GetId()})); err != nil {
			b.Fatal(err)
		}
		for {
			up := s.nextUpdate(10 * time.Second).GetUpdate()
			if t := up.GetTask(); t.GetSeriesId() == series && t.GetOccurrenceIndex() == 2 {
				lat = append(lat, time.Since(begin))
				break
			}
		}
	}
	return percentiles(lat)
}
