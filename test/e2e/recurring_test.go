package e2e

import (
	"context"
	"strconv"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/types/known/timestamppb"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish"
	"github.com/taskmesh/taskmesh/pkg/dapr/sidecar"
	"github.com/taskmesh/taskmesh/pkg/devmesh"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
)

// seriesTasks returns the user's live tasks of a series, by occurrence.
func seriesTasks(t testing.TB, u *user, seriesID string) map[int32]*taskv1.Task {
	t.Helper()
	resp, err := u.tasks.ListTasks(context.Background(), connect.NewRequest(&taskv1.ListTasksRequest{PageSize: 200}))
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]*taskv1.Task{}
	for _, task := range resp.Msg.GetTasks() {
		if task.GetSeriesId() == seriesID {
			if _, dup := out[task.GetOccurrenceIndex()]; dup {
				t.Fatalf("two tasks for occurrence %d of %s", task.GetOccurrenceIndex(), seriesID)
			}
			out[task.GetOccurrenceIndex()] = task
		}
	}
	return out
}

func testWeeklyCompletionSpawnsOneNextOccurrence(t *testing.T, m *devmesh.Mesh) {
	u := signUp(t, m.WebURL, false) // Europe/Paris
	ctx := context.Background()
	paris, _ := time.LoadLocation("Europe/Paris")
	first := time.Date(2027, 3, 25, 9, 0, 0, 0, paris) // a Thursday; next week is summer time
	r, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{
		Title: "weekly review", Due: &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(first)}},
		Recurrence: &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_WEEKLY, Interval: 1},
	}}))
	if err != nil {
		t.Fatal(err)
	}
	task := r.Msg.GetTask()
	if _, err := u.tasks.CompleteTask(ctx, connect.NewRequest(&taskv1.CompleteTaskRequest{Id: task.GetId()})); err != nil {
		t.Fatal(err)
	}
	took := eventually(t, 5*time.Second, "the next occurrence", func() bool { return seriesTasks(t, u, task.GetSeriesId())[2] != nil })
	t.Logf("next occurrence visible %s after the completion", took)
	next := seriesTasks(t, u, task.GetSeriesId())[2]
	if want := time.Date(2027, 4, 1, 9, 0, 0, 0, paris); !next.GetDue().GetAt().AsTime().Equal(want) {
		t.Fatalf("next occurrence due %v; want %v (09:00 Paris)", next.GetDue().GetAt().AsTime().In(paris), want)
	}

	// The completion event delivered again, by hand: nothing more is created.
	eventID, payload := completionEvent(t, m, task.GetId())
	republish(t, m, meshnames.TaskEvents, eventID, payload)
	// Reopen and complete again: a new completion event for the same occurrence.
	if _, err := u.tasks.ReopenTask(ctx, connect.NewRequest(&taskv1.ReopenTaskRequest{Id: task.GetId()})); err != nil {
		t.Fatal(err)
	}
	if _, err := u.tasks.CompleteTask(ctx, connect.NewRequest(&taskv1.CompleteTaskRequest{Id: task.GetId()})); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if tasks := seriesTasks(t, u, task.GetSeriesId()); len(tasks) != 2 {
		t.Fatalf("the series has %d tasks after a redelivery and a second completion; want 2", len(tasks))
	}
}

func testCountLimitedSeriesStops(t *testing.T, m *devmesh.Mesh) {
	u := signUp(t, m.WebURL, false)
	ctx := context.Background()
	r, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{
		Title: "three times", Due: &taskv1.Due{Kind: &taskv1.Due_Date{Date: &taskv1.Date{Year: 2027, Month: 6, Day: 1}}},
		Recurrence: &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_DAILY, Interval: 1, End: &taskv1.RecurrenceRule_Count{Count: 3}},
	}}))
	if err != nil {
		t.Fatal(err)
	}
	series := r.Msg.GetTask().GetSeriesId()
	for i := int32(1); i <= 3; i++ {
		var current *taskv1.Task
		eventually(t, 5*time.Second, "occurrence "+strconv.Itoa(int(i)), func() bool {
			current = seriesTasks(t, u, series)[i]
			return current != nil
		})
		if d := current.GetDue().GetDate(); d.GetDay() != 1+i-1 {
			t.Fatalf("occurrence %d due on day %d; want %d", i, d.GetDay(), i)
		}
		if _, err := u.tasks.CompleteTask(ctx, connect.NewRequest(&taskv1.CompleteTaskRequest{Id: current.GetId()})); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(1500 * time.Millisecond)
	if tasks := seriesTasks(t, u, series); len(tasks) != 3 {
		t.Fatalf("a series of 3 has %d tasks", len(tasks))
	}
}

// completionEvent returns the id and payload of a task's latest completion TaskEvent.
func completionEvent(t testing.TB, m *devmesh.Mesh, taskID string) (string, []byte) {
	t.Helper()
	var id string
	var payload []byte
	err := dbConn(t, m).QueryRow(context.Background(), `SELECT id::text, payload::text::bytea FROM api.outbox
		WHERE topic = $1 AND payload->'task'->>'id' = $2 AND payload->>'type' = 'TASK_EVENT_TYPE_COMPLETED'
		ORDER BY seq DESC LIMIT 1`, meshnames.TaskEvents, taskID).Scan(&id, &payload)
	if err != nil {
		t.Fatalf("find the completion event of %s: %v", taskID, err)
	}
	return id, payload
}

// republish publishes an event again, with its original id, through the api's sidecar.
func republish(t testing.TB, m *devmesh.Mesh, topic, eventID string, payload []byte) {
	t.Helper()
	port := strconv.Itoa(m.Instances[meshnames.API][0].GRPCPort)
	env := func(k string) string {
		if k == "DAPR_GRPC_PORT" {
			return port
		}
		return ""
	}
	sc, err := sidecar.Connect(context.Background(), env, 30*time.Second, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if err := sc.Publisher().Publish(context.Background(), publish.Message{
		PubSub: meshnames.PubSub, Topic: topic, Data: payload, ContentType: "application/json", ID: eventID,
	}); err != nil {
		t.Fatal(err)
	}
}
