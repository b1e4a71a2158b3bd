package e2e

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/task/v1/taskv1connect"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/meshtest"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

// BenchmarkMesh measures the mesh on this machine and reports p50/p99 latencies:
//
//   - GetTask direct to the api (Connect over loopback, no Dapr) — the baseline;
//
//   - GetTask through the web gateway and two sidecars (web's and api's), and its ratio
//     to the baseline;
//
//   - write → WebSocket: from sending UpdateTask to the update arriving on the user's
//     socket, at 50 writes per second.
//
//     go test ./test/e2e -run '^$' -bench Mesh -benchtime 1x
func BenchmarkMesh(b *testing.B) {
	m := meshtest.Start(b)
	u := signUp(b, m.WebURL, false)
	ctx := context.Background()
	created, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "measured"}}))
	if err != nil {
		b.Fatal(err)
	}
	task := created.Msg.GetTask()
	direct := taskv1connect.NewTaskServiceClient(http.DefaultClient, m.Instances[meshnames.API][0].URL(), connect.WithInterceptors(rpctest.Bearer(u.token)))
	const reads = 2000
	get := func(c taskv1connect.TaskServiceClient) []time.Duration {
		lat := make([]time.Duration, 0, reads)
		req := &taskv1.GetTaskRequest{Id: task.GetId()}
		for range 100 { // warm connections and caches
			if _, err := c.GetTask(ctx, connect.NewRequest(req)); err != nil {
				b.Fatal(err)
			}
		}
		for range reads {
			start := time.Now()
			if _, err := c.GetTask(ctx, connect.NewRequest(req)); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		return lat
	}
	for b.Loop() {
		base := get(direct)
		mesh := get(u.tasks)
		bp50, bp99 := percentiles(base)
		mp50, mp99 := percentiles(mesh)
		b.ReportMetric(ms(bp50), "direct-p50-ms")
		b.ReportMetric(ms(bp99), "direct-p99-ms")
		b.ReportMetric(ms(mp50), "gateway-p50-ms")
		b.ReportMetric(ms(mp99), "gateway-p99-ms")
		b.ReportMetric(float64(mp50)/float64(bp50), "p50-ratio")
		b.ReportMetric(float64(mp99)/float64(bp99), "p99-ratio")

		p50, p99 := writeToSocket(b, m.WebURL, u, task, 50, 10*time.Second)
		b.ReportMetric(ms(p50), "write-to-ws-p50-ms")
		b.ReportMetric(ms(p99), "write-to-ws-p99-ms")
	}
}

// writeToSocket updates the task `rate` times a second for `d` and returns the p50/p99 of
// the time from sending each write to its update arriving on the user's socket.
func writeToSocket(b *testing.B, webURL string, u *user, task *taskv1.Task, rate int, d time.Duration) (time.Duration, time.Duration) {
	s, _ := dialSocket(b, webURL, u, task.GetChangeSeq())
	var mu sync.Mutex
	sent, arrived := map[int64]time.Time{}, map[int64]time.Time{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			f, err := s.next(5 * time.Second)
			if err != nil {
				return
			}
			if up := f.GetUpdate(); up != nil {
				mu.Lock()
				arrived[up.GetChangeSeq()] = time.Now()
				mu.Unlock()
			}
		}
	}()
	version := task.GetVersion()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	n := int(d.Seconds()) * rate
	for i := range n {
		<-tick.C
		start := time.Now()
		resp, err := u.tasks.UpdateTask(context.Background(), connect.NewRequest(&taskv1.UpdateTaskRequest{
			Task:       &taskv1.Task{Id: task.GetId(), Title: "measured " + time.Now().Format(time.StampMicro)},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}, ExpectedVersion: version,
		}))
		if err != nil {
			b.Fatalf("write %d: %v", i, err)
		}
		version = resp.Msg.GetTask().GetVersion()
		mu.Lock()
		sent[resp.Msg.GetTask().GetChangeSeq()] = start
		mu.Unlock()
	}
	<-done // the reader stops 5 s after the last update
	var lat []time.Duration
	for seq, at := range sent {
		if got, ok := arrived[seq]; ok {
			lat = append(lat, got.Sub(at))
		}
	}
	if len(lat) != len(sent) {
		b.Fatalf("%d of %d updates reached the socket", len(lat), len(sent))
	}
	return percentiles(lat)
}

func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	slices.Sort(lat)
	return lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
