package outbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/taskmesh/taskmesh/pkg/dapr/publish"
	"github.com/taskmesh/taskmesh/pkg/pgschema"
	"github.com/taskmesh/taskmesh/pkg/pgtest"
)

// recorder stands in for the Dapr client: it records what was published and can fail.
type recorder struct {
	mu      sync.Mutex
	ids     []string
	failOn  string // fail publishing this event id
	publish func() // called on each publish, before recording
}

func (r *recorder) Publish(_ context.Context, m publish.Message) error {
	if r.publish != nil {
		r.publish()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	id := m.ID
	if id == r.failOn {
		return errors.New("broker down")
	}
	r.ids = append(r.ids, id)
	return nil
}

func (r *recorder) published() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

// newPool is a fresh database whose schema "api" holds nothing but the outbox table, as
// this package's migration creates it.
func newPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	url := pgtest.NewDatabase(t, func(ctx context.Context, url string) error {
		return pgschema.Migrate(ctx, url, "api", WithMigration(noMigrations, "migrations", 1), "migrations")
	})
	pool, err := pgschema.Pool(context.Background(), url, "api")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func insert(t *testing.T, pool *pgxpool.Pool, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		id := uuid.Must(uuid.NewV7()).String()
		if _, err := pool.Exec(context.Background(), `INSERT INTO outbox (id, topic, payload) VALUES ($1, 'task-events', $2)`,
			id, fmt.Sprintf(`{"n": %d}`, i)); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func unpublished(t *testing.T, pool *pgxpool.Pool) int {
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDrainPublishesInOrderAndMarksOnlyWhatDaprAccepted(t *testing.T) {
	pool := newPool(t)
	ids := insert(t, pool, 5)
	pub := &recorder{failOn: ids[3]}
	r := NewRelay(pool, pub, Config{Schema: "api", PubSub: "pubsub"}, zerolog.Nop())
	n, err := r.Drain(context.Background())
	if err == nil || n != 3 {
		t.Fatalf("Drain = %d, %v; want 3 published then the broker error", n, err)
	}
	if got := pub.published(); len(got) != 3 || got[0] != ids[0] || got[2] != ids[2] {
		t.Fatalf("published %v; want the first 3 in order", got)
	}
	if u := unpublished(t, pool); u != 2 {
		t.Fatalf("%d rows unpublished; want 2 (the failed one and the one after it)", u)
	}
	pub.failOn = ""
	if n, err := r.Drain(context.Background()); err != nil || n != 2 {
		t.Fatalf("second Drain = %d, %v; want the remaining 2", n, err)
	}
	if got := pub.published(); len(got) != 5 || got[3] != ids[3] || got[4] != ids[4] {
		t.Fatalf("published %v; want all 5 in order, each once", got)
	}
}

func TestConcurrentRelaysPublishEachRowOnce(t *testing.T) {
	pool := newPool(t)
	insert(t, pool, 300)
	pub := &recorder{publish: func() { time.Sleep(100 * time.Microsecond) }}
	var wg sync.WaitGroup
	for range 3 {
		r := NewRelay(pool, pub, Config{Schema: "api", PubSub: "pubsub", Batch: 20}, zerolog.Nop())
		wg.Go(func() {
			for {
				n, err := r.Drain(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for _, id := range pub.published() {
		seen[id]++
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("event %s published %d times", id, c)
		}
	}
	if len(seen) != 300 || unpublished(t, pool) != 0 {
		t.Fatalf("%d distinct events published, %d rows left; want 300 and 0", len(seen), unpublished(t, pool))
	}
}

func TestRunWakesOnCommit(t *testing.T) {
	pool := newPool(t)
	pub := &recorder{}
	// A long poll: only the NOTIFY at commit can make the relay publish in time.
	r := NewRelay(pool, pub, Config{Schema: "api", PubSub: "pubsub", Poll: time.Hour}, zerolog.Nop())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(200 * time.Millisecond) // let the first drain and the LISTEN happen
	ids := insert(t, pool, 1)
	deadline := time.Now().Add(5 * time.Second)
	for len(pub.published()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the relay did not publish a committed row within 5 s (no wake-up on NOTIFY)")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := pub.published(); got[0] != ids[0] {
		t.Fatalf("published %v", got)
	}
}
