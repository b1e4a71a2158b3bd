package handler_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Benchmark data: tasks that read like a person's list, so that the planner's statistics
// (trigram frequencies, most common values, due-date spread) look like production's, and
// so that a plan that is right for one search pattern and wrong for another shows.

// rareWord appears in exactly rareWordTasks titles of a seeded user; commonWord is the
// verb of about one task in twelve.
const (
	rareWord      = "harpsichord"
	rareWordTasks = 6
	commonWord    = "review"
)

var (
	taskVerbs = []string{
		"Call", "Email", "Buy", "Fix", "Plan", "Book", "Renew", "Pay", "Clean", "Schedule",
		"Prepare", "Send", "Update", "Write", "Check", "Order", "Pick up", "Return", "Cancel",
		"Finish", "Draft", "Submit", "Sort out", "Read",
	}
	taskObjects = []string{
		"quarterly report", "groceries", "dentist appointment", "car insurance", "invoice for Acme",
		"team meeting notes", "garden hose", "budget spreadsheet", "flight to Lisbon", "library books",
		"passport", "birthday gift for Mum", "kitchen tap", "tax return", "slides for Monday",
		"gym membership", "electricity bill", "vet appointment", "project proposal", "bike tyres",
		"hotel in Porto", "the onboarding doc", "plumber", "school forms", "phone contract",
		"winter tyres", "the shed roof", "expense claims", "conference talk", "newsletter",
		"design review comments", "backup drive", "pull request for search", "holiday photos",
	}
	taskTails = []string{
		"", "", "", "", " before Friday", " with Sam", " for the team", " (again)", " this week",
		" after lunch", " for Q3", " — ask Priya first", " tomorrow",
	}
	descriptionPhrases = []string{
		"Check the receipts in the blue folder.", "Ask Sam whether the numbers changed.",
		"Last year's version is on the shared drive.", "Needs the reference number from the letter.",
		"Don't forget the attachment this time.", "Compare three quotes before deciding.",
		"Call before 5pm, they close early on Fridays.", "Follow up if there is no answer by Tuesday.",
		"Bring the old one back to the shop.", "Split the cost with Alex.",
		"Use the template from the wiki.", "Keep it under two pages.",
	}
)

// benchTitle returns the title of a user's i-th seeded task (r chooses the words).
func benchTitle(r *rand.Rand, i int, rare map[int]bool) string {
	if rare[i] {
		return "Tune the " + rareWord + taskTails[r.IntN(len(taskTails))]
	}
	verb := taskVerbs[r.IntN(len(taskVerbs))]
	if r.IntN(12) == 0 {
		verb = "Review"
	}
	return verb + " " + taskObjects[r.IntN(len(taskObjects))] + taskTails[r.IntN(len(taskTails))]
}

// seedTasks bulk-loads n tasks for userID with COPY (seconds for tens of thousands) and
// bumps the user's change sequence to match. The tasks were created over the last year,
// one after another; 70% have a due time within about 200 days either side of now; a
// quarter are of each priority, a fifth completed, 2% in the trash; 40% have a description.
// Every tenth carries tagIDs[0] and every third tagIDs[1] (when given). The rare word is
// in exactly rareWordTasks titles, spread over the list.
func seedTasks(tb testing.TB, db *pgxpool.Pool, userID uuid.UUID, n int, tagIDs ...uuid.UUID) {
	tb.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(uint64(n), 11)) // the same data every run
	rare := map[int]bool{}
	for k := range rareWordTasks {
		rare[n/(rareWordTasks+1)*(k+1)] = true
	}
	now := time.Now().UTC()
	start := now.Add(-365 * 24 * time.Hour)
	step := 365 * 24 * time.Hour / time.Duration(n)
	rows := make([][]any, 0, n)
	var tagRows [][]any
	for i := range n {
		id := uuid.Must(uuid.NewV7())
		created := start.Add(time.Duration(i) * step)
		var desc string
		if r.IntN(10) < 4 {
			desc = descriptionPhrases[r.IntN(len(descriptionPhrases))] + " " + descriptionPhrases[r.IntN(len(descriptionPhrases))]
		}
		status, priority := int16(1), int16(r.IntN(4)) // pending; unspecified, low, medium, high
		var completed, deleted, due *time.Time
		if r.IntN(5) == 0 {
			status = 2
			c := created.Add(time.Duration(r.IntN(72)) * time.Hour)
			completed = &c
		}
		if r.IntN(50) == 0 {
			d := created.Add(time.Hour)
			deleted = &d
		}
		if r.IntN(10) < 7 {
			d := now.Add(time.Duration(r.IntN(400*24)-200*24) * time.Hour).Truncate(time.Minute)
			due = &d
		}
		rows = append(rows, []any{id, userID, benchTitle(r, i, rare), desc, status, priority, due,
			completed, created, created, deleted, int64(i + 1)})
		if len(tagIDs) > 0 && i%10 == 3 {
			tagRows = append(tagRows, []any{id, tagIDs[0]})
		}
		if len(tagIDs) > 1 && i%3 == 1 {
			tagRows = append(tagRows, []any{id, tagIDs[1]})
		}
	}
	if _, err := db.CopyFrom(ctx, pgx.Identifier{"tasks"}, []string{"id", "user_id", "title", "description",
		"status", "priority", "due_at", "completed_at", "created_at", "updated_at", "deleted_at", "change_seq"},
		pgx.CopyFromRows(rows)); err != nil {
		tb.Fatal(fmt.Errorf("seed tasks: %w", err))
	}
	if len(tagRows) > 0 {
		if _, err := db.CopyFrom(ctx, pgx.Identifier{"task_tags"}, []string{"task_id", "tag_id"}, pgx.CopyFromRows(tagRows)); err != nil {
			tb.Fatal(fmt.Errorf("seed task tags: %w", err))
		}
	}
	if _, err := db.Exec(ctx, `UPDATE users SET change_seq = $2 WHERE id = $1`, userID, n); err != nil {
		tb.Fatal(err)
	}
}

// percentile is the p-quantile of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// reportPercentiles adds p50 and p99 (in ms) to the benchmark's output.
func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(percentile(lat, 0.50)), "p50-ms")
	b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
}

// reportRatio adds the ratio of lat's p50 to base's (calls timed alongside) to the
// benchmark's output.
func reportRatio(b *testing.B, lat, base []time.Duration) {
	if len(lat) == 0 || len(base) == 0 {
		return
	}
	slices.Sort(lat)
	slices.Sort(base)
	b.ReportMetric(float64(percentile(lat, 0.50))/float64(percentile(base, 0.50)), "x-GetTask-p50")
}

// waitSampler polls pg_stat_activity every few milliseconds, from a connection of its
// own, and counts what the benchmarked database's other sessions are doing.
type waitSampler struct {
	done    chan struct{}
	stopped chan waitCounts
}

// waitCounts are session-samples by activity, and the number of samples taken.
type waitCounts struct {
	samples int
	byKind  map[string]int
}

// startWaitSampler starts sampling the sessions of the database at databaseURL.
func startWaitSampler(tb testing.TB, databaseURL string) *waitSampler {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), databaseURL)
	if err != nil {
		tb.Fatal(err)
	}
	s := &waitSampler{done: make(chan struct{}), stopped: make(chan waitCounts, 1)}
	go func() {
		defer conn.Close(context.Background())
		counts := waitCounts{byKind: map[string]int{}}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-s.done:
				s.stopped <- counts
				return
			case <-tick.C:
			}
			// A session is "lock-<what>" when it waits for another's lock: transactionid
			// or tuple for a row another transaction holds, object for the commit of a
			// transaction that notified (PostgreSQL lets one such commit through at a time),
			// "app" when it is inside a transaction waiting for the api's next statement,
			// "wal" when it waits for its commit to reach the disk, "run" when it works.
			rows, err := conn.Query(context.Background(), `
				SELECT CASE
					WHEN wait_event_type = 'Lock' THEN 'lock-' || wait_event
					WHEN state = 'idle in transaction' THEN 'app'
					WHEN wait_event_type = 'IO' AND wait_event LIKE 'WAL%' THEN 'wal'
					WHEN wait_event_type = 'LWLock' AND wait_event LIKE 'WAL%' THEN 'wal'
					WHEN wait_event IS NULL THEN 'run'
					ELSE 'other' END
				FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid()
					AND backend_type = 'client backend' AND state <> 'idle'`)
			if err != nil {
				continue // the benchmark is ending
			}
			kinds, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				continue
			}
			counts.samples++
			for _, k := range kinds {
				counts.byKind[k]++
			}
		}
	}()
	return s
}

// stop ends sampling and returns the counts.
func (s *waitSampler) stop() waitCounts {
	close(s.done)
	return <-s.stopped
}

// report adds the mean number of sessions in each activity to the benchmark's output.
func (w waitCounts) report(b *testing.B) {
	if w.samples == 0 {
		return
	}
	for k, n := range w.byKind {
		b.ReportMetric(float64(n)/float64(w.samples), "sessions-"+k)
	}
}

// withQuery returns databaseURL with the query parameter key set to value.
func withQuery(tb testing.TB, databaseURL, key, value string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}
