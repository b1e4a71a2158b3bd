package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	internalv1 "github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1/internalv1connect"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/task/v1/taskv1connect"
	"github.com/taskmesh/taskmesh/pkg/devmesh"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/meshtest"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

// TestMesh starts the mesh once and runs the scenarios against it; the one that kills
// the api runs last.
func TestMesh(t *testing.T) {
	m := meshtest.Start(t, meshtest.Replicas(meshnames.Realtime, 2))

	t.Run("a task created through the gateway reaches the audit log within 2s", func(t *testing.T) {
		for _, grpc := range []bool{false, true} {
			u := signUp(t, m.WebURL, grpc)
			ctx := context.Background()
			created, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "audited"}}))
			if err != nil {
				t.Fatal(err)
			}
			id := created.Msg.GetTask().GetId()
			took := eventually(t, 2*time.Second, "the creation in the audit log", func() bool { return len(u.auditEntries(t, id)) == 1 })
			t.Logf("grpc=%v: audit entry visible after %s", grpc, took)
			_, err = u.tasks.UpdateTask(ctx, connect.NewRequest(&taskv1.UpdateTaskRequest{
				Task: &taskv1.Task{Id: id, Title: "audited twice"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}, ExpectedVersion: 1,
			}))
			if err != nil {
				t.Fatal(err)
			}
			eventually(t, 2*time.Second, "the update in the audit log", func() bool { return len(u.auditEntries(t, id)) == 2 })
			entries := u.auditEntries(t, id)
			if entries[0].GetType() != eventsv1.TaskEventType_TASK_EVENT_TYPE_UPDATED ||
				entries[0].GetBefore().GetTitle() != "audited" || entries[0].GetAfter().GetTitle() != "audited twice" {
				t.Fatalf("newest entry = %v; want the update with before/after titles", entries[0])
			}
			// Another user sees none of it.
			other := signUp(t, m.WebURL, grpc)
			if n := len(other.auditEntries(t, id)); n != 0 {
				t.Fatalf("another user sees %d audit entries of this task", n)
			}
		}
	})

	t.Run("an update reaches the user's two sockets and none of another user's", func(t *testing.T) {
		a, b := signUp(t, m.WebURL, false), signUp(t, m.WebURL, false)
		a1, _ := dialSocket(t, m.WebURL, a, 0)
		a2, _ := dialSocket(t, m.WebURL, a, 0)
		b1, _ := dialSocket(t, m.WebURL, b, 0)
		created, err := a.tasks.CreateTask(context.Background(), connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "live"}}))
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range []*socket{a1, a2} {
			up := s.nextUpdate(2 * time.Second).GetUpdate()
			if up.GetTask().GetId() != created.Msg.GetTask().GetId() || up.GetChangeSeq() != created.Msg.GetTask().GetChangeSeq() ||
				up.GetKind() != eventsv1.TaskUpdateKind_TASK_UPDATE_KIND_TASK_UPSERTED {
				t.Fatalf("socket %d got %v; want the created task with its change_seq", i+1, up)
			}
		}
		b1.silent(500 * time.Millisecond)
	})

	t.Run("every realtime replica receives every update", func(t *testing.T) {
		u := signUp(t, m.WebURL, false)
		var sockets []*socket
		for _, rt := range m.Instances[meshnames.Realtime] {
			s, _ := dialSocket(t, rt.URL(), u, 0)
			sockets = append(sockets, s)
		}
		if len(sockets) < 2 {
			t.Fatalf("%d realtime replicas; the test needs 2", len(sockets))
		}
		created, err := u.tasks.CreateTask(context.Background(), connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "fan out"}}))
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range sockets {
			if got := s.nextUpdate(2 * time.Second).GetUpdate().GetTask().GetId(); got != created.Msg.GetTask().GetId() {
				t.Fatalf("replica %d delivered %s", i, got)
			}
		}
	})

	t.Run("a reconnecting socket that missed changes is told to sync", func(t *testing.T) {
		u := signUp(t, m.WebURL, false)
		ctx := context.Background()
		var last int64
		for _, title := range []string{"one", "two"} {
			r, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: title}}))
			if err != nil {
				t.Fatal(err)
			}
			last = r.Msg.GetTask().GetChangeSeq()
		}
		s, ready := dialSocket(t, m.WebURL, u, 1)
		if ready.GetChangeSeq() != last {
			t.Fatalf("Ready.change_seq = %d; want %d", ready.GetChangeSeq(), last)
		}
		f, err := s.next(2 * time.Second)
		if err != nil || f.GetSyncRequired().GetSinceChangeSeq() != 1 || f.GetSyncRequired().GetLatestChangeSeq() != last {
			t.Fatalf("frame after Ready = %v, %v; want SyncRequired{1, %d}", f, err, last)
		}
		// Up to date: no SyncRequired; the next frame is the next live update.
		s2, _ := dialSocket(t, m.WebURL, u, last)
		if _, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "three"}})); err != nil {
			t.Fatal(err)
		}
		if f, err := s2.next(2 * time.Second); err != nil || f.GetUpdate().GetChangeSeq() != last+1 {
			t.Fatalf("an up-to-date socket got %v, %v; want the update %d directly", f, err, last+1)
		}
	})

	t.Run("reflection through the gateway describes only the public services", func(t *testing.T) {
		testGatewayDescribesOnlyThePublicServices(t, m)
	})
	t.Run("the gateway speaks gRPC-Web", func(t *testing.T) { testGatewaySpeaksGRPCWeb(t, m) })
	t.Run("a request id given at the gateway reaches the api's log", func(t *testing.T) { testRequestIDCrossesTheMesh(t, m) })
	t.Run("a plain JSON POST, as curl sends it, is a Connect call at the gateway", func(t *testing.T) { testPlainConnectCallsWork(t, m) })

	t.Run("TaskInternalService is not reachable through the gateway", func(t *testing.T) {
		u := signUp(t, m.WebURL, false)
		for name, opts := range map[string][]connect.ClientOption{"connect": nil, "grpc": {connect.WithGRPC()}} {
			hc := http.DefaultClient
			if name == "grpc" {
				hc = rpctest.GRPC.HTTPClient() // h2c
			}
			c := internalv1connect.NewTaskInternalServiceClient(hc, m.WebURL, append(opts, connect.WithInterceptors(rpctest.Bearer(u.token)))...)
			_, err := c.GetChangeSeq(context.Background(), connect.NewRequest(&internalv1.GetChangeSeqRequest{UserId: u.id}))
			if code := connect.CodeOf(err); code != connect.CodeUnimplemented && code != connect.CodeNotFound {
				t.Fatalf("%s: TaskInternalService through the gateway = %v; want it refused (Unimplemented or NotFound)", name, err)
			}
		}
	})

	t.Run("an event delivered twice leaves one audit row", func(t *testing.T) {
		u := signUp(t, m.WebURL, false)
		ctx := context.Background()
		created, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "deliver me twice"}}))
		if err != nil {
			t.Fatal(err)
		}
		id := created.Msg.GetTask().GetId()
		eventually(t, 5*time.Second, "the creation in the audit log", func() bool { return len(u.auditEntries(t, id)) == 1 })

		// Publish the very same TaskEvent again, by hand, through a sidecar.
		eventID, payload := outboxEvent(t, m, id, meshnames.TaskEvents)
		republish(t, m, meshnames.TaskEvents, eventID, payload)
		// A later change of the same task is recorded after the duplicate was consumed.
		if _, err := u.tasks.CompleteTask(ctx, connect.NewRequest(&taskv1.CompleteTaskRequest{Id: id})); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "the completion in the audit log", func() bool { return len(u.auditEntries(t, id)) >= 2 })
		time.Sleep(time.Second)
		if entries := u.auditEntries(t, id); len(entries) != 2 {
			t.Fatalf("got %d audit entries; want 2 (created once, completed once)", len(entries))
		}
	})

	t.Run("completing a weekly task creates exactly one next occurrence in the user's zone", func(t *testing.T) {
		testWeeklyCompletionSpawnsOneNextOccurrence(t, m)
	})
	t.Run("a count-limited series stops at its count", func(t *testing.T) { testCountLimitedSeriesStops(t, m) })

	t.Run("a reminder reaches the socket and the inbox, not for a completed task", func(t *testing.T) {
		testReminderReachesSocketAndInbox(t, m)
	})
	t.Run("a reminder due while the api is down arrives once after restart", func(t *testing.T) {
		testReminderSurvivesTheAPIBeingDownAcrossItsTime(t, m)
	})

	// Last: it kills the api.
	t.Run("api killed after commit and before publish delivers the event once after restart", func(t *testing.T) {
		u := signUp(t, m.WebURL, false)
		ctx := context.Background()
		api := m.Instances[meshnames.API][0]
		// With its sidecar gone, the api commits but cannot publish.
		if err := api.KillSidecar(); err != nil {
			t.Fatal(err)
		}
		direct := taskv1connect.NewTaskServiceClient(http.DefaultClient, api.URL(), connect.WithInterceptors(rpctest.Bearer(u.token)))
		created, err := direct.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "survives a crash"}}))
		if err != nil {
			t.Fatal(err)
		}
		id := created.Msg.GetTask().GetId()
		if n := unpublished(t, m); n != 2 {
			t.Fatalf("%d unpublished outbox rows; want the change's 2 waiting", n)
		}
		if err := api.KillApp(); err != nil { // SIGKILL: no shutdown at all
			t.Fatal(err)
		}
		if err := api.Start(); err != nil {
			t.Fatal(err)
		}
		if err := api.WaitHealthy(ctx, time.Minute); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "the event in the audit log after the restart", func() bool { return len(u.auditEntries(t, id)) == 1 })
		time.Sleep(time.Second)
		if entries := u.auditEntries(t, id); len(entries) != 1 || entries[0].GetType() != eventsv1.TaskEventType_TASK_EVENT_TYPE_CREATED {
			t.Fatalf("audit entries after the restart = %v; want exactly the creation", entries)
		}
		if n := unpublished(t, m); n != 0 {
			t.Fatalf("%d outbox rows still unpublished after the restart", n)
		}
	})
}

// outboxEvent returns the id and payload of a task's creation event in the api outbox.
func outboxEvent(t testing.TB, m *devmesh.Mesh, taskID, topic string) (string, []byte) {
	t.Helper()
	conn := dbConn(t, m)
	var id string
	var payload []byte
	err := conn.QueryRow(context.Background(), `SELECT id::text, payload::text::bytea FROM api.outbox
		WHERE topic = $1 AND payload->'task'->>'id' = $2 ORDER BY seq LIMIT 1`, topic, taskID).Scan(&id, &payload)
	if err != nil {
		t.Fatalf("find the outbox event of %s: %v", taskID, err)
	}
	return id, payload
}

// unpublished counts the api outbox rows not yet published.
func unpublished(t testing.TB, m *devmesh.Mesh) int {
	t.Helper()
	var n int
	if err := dbConn(t, m).QueryRow(context.Background(), `SELECT count(*) FROM api.outbox WHERE published_at IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func dbConn(t testing.TB, m *devmesh.Mesh) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), m.DatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
