package handler_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/task/v1/taskv1connect"
	"github.com/taskmesh/taskmesh/pkg/pgtest"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/services/api/internal/store"
)

// BenchmarkListTasks10k measures ListTasks through the real handler (Connect over
// loopback HTTP, real PostgreSQL) for one user with 10,000 tasks, one shape of list at a
// time, and reports p50 and p99 latencies and the ratio of the p50 to GetTask's. The
// tasks read like a person's list (see seedTasks); another user's 10,000 tasks share the
// tables, as in production.
//
// Each case is warmed up with more calls than PostgreSQL needs to switch a prepared
// statement to its generic plan (five per connection), on every connection of the pool,
// so that what is timed is the plan a long-running api settles on, not the first five.
// Run it with a few hundred iterations per case:
//
//	go test ./services/api/internal/handler -run '^$' -bench ListTasks10k -benchtime 300x
func BenchmarkListTasks10k(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	u, other := e.newUser(rpctest.Connect), e.newUser(rpctest.Connect)
	var tagIDs []string
	for _, owner := range []*clients{u, other} {
		var ids []uuid.UUID
		for _, name := range []string{"urgent", "work"} {
			tag, err := owner.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: name}))
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, uuid.MustParse(tag.Msg.GetTag().GetId()))
			if owner == u {
				tagIDs = append(tagIDs, tag.Msg.GetTag().GetId())
			}
		}
		seedTasks(b, e.pool, owner.userID, 10000, ids...)
	}
	// Statistics only, no VACUUM: searches are measured right after the writes (the trigram
	// index has no pending list to scan, see migration 00002).
	for _, table := range []string{"tasks", "task_tags"} {
		if _, err := e.pool.Exec(ctx, `ANALYZE `+table); err != nil {
			b.Fatal(err)
		}
	}
	warmUp := 6 * int(e.pool.Config().MaxConns)

	// The baseline is a one-row read through the same stack, so that the ListTasks figures
	// can be read as a ratio to the cost of any call.
	one, err := u.tasks.ListTasks(ctx, connect.NewRequest(&taskv1.ListTasksRequest{PageSize: 1}))
	if err != nil {
		b.Fatal(err)
	}
	// Each case also times one GetTask after every ListTasks (outside the benchmark's
	// timer), so that the ratio it reports compares calls made under the same load: this
	// machine is shared, and figures taken minutes apart differ by more than the fixes.
	getReq := &taskv1.GetTaskRequest{Id: one.Msg.GetTasks()[0].GetId()}
	getTask := func() time.Duration {
		start := time.Now()
		if _, err := u.tasks.GetTask(ctx, connect.NewRequest(getReq)); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	b.Run("baseline GetTask", func(b *testing.B) {
		for range warmUp {
			getTask()
		}
		lat := make([]time.Duration, 0, b.N)
		for b.Loop() {
			lat = append(lat, getTask())
		}
		reportPercentiles(b, lat)
	})
	cases := []struct {
		name string
		req  *taskv1.ListTasksRequest
		want int // tasks on the page; 0: a full first page
	}{
		{"default sort", &taskv1.ListTasksRequest{}, 0},
		{"sorted by due", &taskv1.ListTasksRequest{SortBy: taskv1.TaskSortField_TASK_SORT_FIELD_DUE}, 0},
		{"sorted by priority desc", &taskv1.ListTasksRequest{SortBy: taskv1.TaskSortField_TASK_SORT_FIELD_PRIORITY, Descending: true}, 0},
		{"sorted by title", &taskv1.ListTasksRequest{SortBy: taskv1.TaskSortField_TASK_SORT_FIELD_TITLE}, 0},
		{"search rare word", &taskv1.ListTasksRequest{Query: rareWord}, rareWordTasks},
		{"search common word", &taskv1.ListTasksRequest{Query: commonWord}, 0},
		{"tag", &taskv1.ListTasksRequest{TagIds: tagIDs[:1]}, 0},
		{"tag and priority", &taskv1.ListTasksRequest{TagIds: tagIDs[:1], Priorities: []taskv1.Priority{taskv1.Priority_PRIORITY_HIGH}}, 0},
		{"no due date", &taskv1.ListTasksRequest{NoDue: true}, 0},
		{"completed", &taskv1.ListTasksRequest{Status: taskv1.TaskStatus_TASK_STATUS_COMPLETED}, 0},
		{"overdue by due", &taskv1.ListTasksRequest{Overdue: true, SortBy: taskv1.TaskSortField_TASK_SORT_FIELD_DUE}, 0},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			resp, err := u.tasks.ListTasks(ctx, connect.NewRequest(c.req))
			if err != nil {
				b.Fatal(err)
			}
			if got := len(resp.Msg.GetTasks()); (c.want == 0 && (got == 0 || resp.Msg.GetNextPageToken() == "")) || (c.want > 0 && got != c.want) {
				b.Fatalf("the query finds %d tasks (next page %q), want %d: the benchmark would not measure what it says", got, resp.Msg.GetNextPageToken(), c.want)
			}
			for range warmUp {
				if _, err := u.tasks.ListTasks(ctx, connect.NewRequest(c.req)); err != nil {
					b.Fatal(err)
				}
			}
			lat, base := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				if _, err := u.tasks.ListTasks(ctx, connect.NewRequest(c.req)); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
				b.StopTimer()
				base = append(base, getTask())
				b.StartTimer()
			}
			reportPercentiles(b, lat)
			reportRatio(b, lat, base)
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

// BenchmarkCreateTaskConcurrent measures CreateTask (a bare task) from many clients at
// once, through the real handler and PostgreSQL: throughput, p50 and p99, and what the
// api's database sessions were doing meanwhile (sampled from pg_stat_activity, see
// waitSampler). One user's clients contend for that user's change sequence; clients of
// different users should not contend at all. The pool cases run the many-user load with
// pool_max_conns set in the database URL, as DATABASE_URL would.
//
//	go test ./services/api/internal/handler -run '^$' -bench CreateTaskConcurrent -benchtime 2000x
func BenchmarkCreateTaskConcurrent(b *testing.B) {
	cases := []struct {
		name                  string
		clients, users, conns int // conns: pool_max_conns; 0 keeps pgxpool's default
	}{
		{"1 client of 1 user", 1, 1, 0},
		{"10 clients of 1 user", 10, 1, 0},
		{"10 clients of 10 users", 10, 10, 0},
		{"50 clients of 50 users", 50, 50, 0},
		{"50 clients of 50 users pool 2", 50, 50, 2},
		{"50 clients of 50 users pool 8", 50, 50, 8},
		{"50 clients of 50 users pool 16", 50, 50, 16},
		// What the outbox's NOTIFY trigger costs: PostgreSQL serializes the commits of
		// transactions that notify (one lock for the whole database, held until the commit
		// is on disk), whichever users they write for.
		{"10 clients of 1 user without NOTIFY", 10, 1, 0},
		{"50 clients of 50 users without NOTIFY", 50, 50, 0},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			base := sharedDB
			if strings.HasSuffix(c.name, "without NOTIFY") {
				base = pgtest.NewDatabase(b, migrate)
				conn, err := pgx.Connect(context.Background(), base)
				if err != nil {
					b.Fatal(err)
				}
				_, err = conn.Exec(context.Background(), `SET search_path = `+store.Schema+`; DROP TRIGGER outbox_notify ON outbox`)
				conn.Close(context.Background())
				if err != nil {
					b.Fatal(err)
				}
			}
			url := base
			if c.conns > 0 {
				url = withQuery(b, url, "pool_max_conns", strconv.Itoa(c.conns))
			}
			e := newEnvOn(b, url)
			if c.conns > 0 && e.pool.Config().MaxConns != int32(c.conns) {
				b.Fatalf("pool_max_conns=%d in the URL gave a pool of %d", c.conns, e.pool.Config().MaxConns)
			}
			ctx := context.Background()
			// One HTTP connection per client, kept alive: http.DefaultClient keeps two idle
			// connections per host and would measure TCP handshakes instead.
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.clients}}
			b.Cleanup(hc.CloseIdleConnections)
			users := make([]taskv1connect.TaskServiceClient, c.users)
			for i := range users {
				u := e.newUser(rpctest.Connect)
				users[i] = taskv1connect.NewTaskServiceClient(hc, e.url, connect.WithInterceptors(rpctest.Bearer(u.token)))
			}
			req := &taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "Call the dentist"}}
			create := func(client int) time.Duration {
				start := time.Now()
				if _, err := users[client%c.users].CreateTask(ctx, connect.NewRequest(req)); err != nil {
					b.Error(err)
				}
				return time.Since(start)
			}
			for i := range 2 * c.clients { // warm the pool, the HTTP connections, the statement caches
				create(i)
			}
			sampler := startWaitSampler(b, base)
			statBefore := e.pool.Stat()
			var next atomic.Int64
			lats := make([][]time.Duration, c.clients)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for i := range c.clients {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						lats[i] = append(lats[i], create(i))
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			waits := sampler.stop()
			stat := e.pool.Stat()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "creates/s")
			reportPercentiles(b, slices.Concat(lats...))
			if n := stat.AcquireCount() - statBefore.AcquireCount(); n > 0 {
				wait := stat.AcquireDuration() - statBefore.AcquireDuration()
				b.ReportMetric(float64(wait.Microseconds())/1000/float64(n), "pool-wait-ms/acquire")
			}
			waits.report(b)
		})
	}
}
