package handler_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

// BenchmarkListTasks10k measures ListTasks through the real handler (Connect over
// loopback HTTP, real PostgreSQL) for one user with 10,000 tasks, and reports p50 and p99
// latencies. The tasks are bulk-inserted with SQL (realistic shape: varied titles and
// descriptions, a quarter high priority, a tenth tagged "urgent", most with a due date);
// another user's 10,000 tasks share the tables, as in production.
//
//	go test ./services/api/internal/handler -run '^$' -bench ListTasks10k -benchtime 2000x
func BenchmarkListTasks10k(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	u, other := e.newUser(rpctest.Connect), e.newUser(rpctest.Connect)
	tag, err := u.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: "urgent"}))
	if err != nil {
		b.Fatal(err)
	}
	for _, owner := range []*clients{u, other} {
		seed(b, e, owner, 10000)
	}
	if _, err := e.pool.Exec(ctx, `INSERT INTO task_tags (task_id, tag_id)
		SELECT id, $2 FROM tasks WHERE user_id = $1 AND change_seq % 10 = 3`, u.userID, tag.Msg.GetTag().GetId()); err != nil {
		b.Fatal(err)
	}
	// Statistics only, no VACUUM: searches are measured right after the writes (the trigram
	// index has no pending list to scan, see migration 00002).
	for _, table := range []string{"tasks", "task_tags"} {
		if _, err := e.pool.Exec(ctx, `ANALYZE `+table); err != nil {
			b.Fatal(err)
		}
	}
	// The baseline is a one-row read through the same stack, so that the ListTasks figures
	// can be read as a ratio to the cost of any call.
	one, err := u.tasks.ListTasks(ctx, connect.NewRequest(&taskv1.ListTasksRequest{PageSize: 1}))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline GetTask", func(b *testing.B) {
		req := &taskv1.GetTaskRequest{Id: one.Msg.GetTasks()[0].GetId()}
		lat := make([]time.Duration, 0, b.N)
		for b.Loop() {
			start := time.Now()
			if _, err := u.tasks.GetTask(ctx, connect.NewRequest(req)); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		reportPercentiles(b, lat)
	})
	cases := []struct {
		name string
		req  *taskv1.ListTasksRequest
	}{
		{"plain page", &taskv1.ListTasksRequest{}},
		{"plain page sorted by due", &taskv1.ListTasksRequest{SortBy: taskv1.TaskSortField_TASK_SORT_FIELD_DUE}},
		{"search (common word)", &taskv1.ListTasksRequest{Query: "quarterly"}},
		{"search (rare text)", &taskv1.ListTasksRequest{Query: "#777"}},
		{"tag and priority", &taskv1.ListTasksRequest{TagIds: []string{tag.Msg.GetTag().GetId()}, Priorities: []taskv1.Priority{taskv1.Priority_PRIORITY_HIGH}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			resp, err := u.tasks.ListTasks(ctx, connect.NewRequest(c.req))
			if err != nil {
				b.Fatal(err)
			}
			if len(resp.Msg.GetTasks()) == 0 {
				b.Fatal("the query finds nothing: the benchmark would measure an empty page")
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				if _, err := u.tasks.ListTasks(ctx, connect.NewRequest(c.req)); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			reportPercentiles(b, lat)
		})
	}
}

// BenchmarkCreateTask measures CreateTask through the real handler (Connect over loopback
// HTTP, real PostgreSQL) and reports p50 and p99 latencies: a bare task (title only), and
// a full one (description, two tags, a due time, two reminders, a weekly rule), whose
// tags and reminders are written beside the task row.
//
//	go test ./services/api/internal/handler -run '^$' -bench CreateTask -benchtime 1000x
func BenchmarkCreateTask(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	u := e.newUser(rpctest.Connect)
	var tagIDs []string
	for _, name := range []string{"home", "work"} {
		tag, err := u.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: name}))
		if err != nil {
			b.Fatal(err)
		}
		tagIDs = append(tagIDs, tag.Msg.GetTag().GetId())
	}
	due := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
	cases := []struct {
		name string
		task *taskv1.Task
	}{
		{"bare", &taskv1.Task{Title: "Call the dentist"}},
		{"full", &taskv1.Task{
			Title: "Water the garden", Description: "Both beds, and the pots by the door",
			Priority: taskv1.Priority_PRIORITY_HIGH, TagIds: tagIDs,
			Due: &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(due)}},
			Reminders: []*taskv1.Reminder{
				{When: &taskv1.Reminder_BeforeDue{BeforeDue: durationpb.New(time.Hour)}},
				{When: &taskv1.Reminder_At{At: timestamppb.New(due.Add(-24 * time.Hour))}},
			},
			Recurrence: &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_WEEKLY, Interval: 1},
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req := &taskv1.CreateTaskRequest{Task: c.task}
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				if _, err := u.tasks.CreateTask(ctx, connect.NewRequest(req)); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			reportPercentiles(b, lat)
		})
	}
}

// reportPercentiles adds p50 and p99 (in ms) to the benchmark's output.
func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// seed bulk-inserts n tasks for c's user, bumping the user's change sequence to match.
func seed(b *testing.B, e *env, c *clients, n int) {
	b.Helper()
	ctx := context.Background()
	_, err := e.pool.Exec(ctx, `
		WITH words(w) AS (SELECT unnest(ARRAY['report','groceries','call','email','invoice','plan',
			'review','meeting','dentist','garden','budget','quarterly','renew','book','fix']))
		INSERT INTO tasks (id, user_id, title, description, status, priority, due_at, change_seq, created_at, updated_at)
		SELECT gen_random_uuid(), $1,
			initcap((SELECT w FROM words OFFSET (i * 7) % 15 LIMIT 1)) || ' ' || (SELECT w FROM words OFFSET (i * 3) % 14 LIMIT 1) || ' #' || i,
			'Notes for item ' || i || ': ' || (SELECT w FROM words OFFSET (i * 11) % 13 LIMIT 1) || ' and more text to search through',
			CASE WHEN i % 5 = 0 THEN 2 ELSE 1 END,
			i % 4,
			CASE WHEN i % 6 = 0 THEN NULL ELSE now() + ((i % 400) - 200) * interval '1 hour' END,
			i,
			now() - (10000 - i) * interval '1 minute',
			now() - (10000 - i) * interval '1 minute'
		FROM generate_series(1, $2::int) AS i`, c.userID, n)
	if err != nil {
		b.Fatal(fmt.Errorf("seed tasks: %w", err))
	}
	if _, err := e.pool.Exec(ctx, `UPDATE users SET change_seq = $2 WHERE id = $1`, c.userID, n); err != nil {
		b.Fatal(err)
	}
}
