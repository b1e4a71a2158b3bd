package handler_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	internalv1 "github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1/internalv1connect"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/pkg/server"
)

// internalClient calls TaskInternalService as the app caller would through Dapr: the
// api's sidecar names the caller and adds the app API token.
func (e *env) internalClient(caller string) internalv1connect.TaskInternalServiceClient {
	return internalv1connect.NewTaskInternalServiceClient(http.DefaultClient, e.url,
		connect.WithInterceptors(callerHeader{caller, testAppSecret}))
}

// forgedInternalClient calls TaskInternalService straight at the api's port, naming a
// caller but with token (maybe empty) instead of the sidecar's.
func (e *env) forgedInternalClient(caller, token string) internalv1connect.TaskInternalServiceClient {
	return internalv1connect.NewTaskInternalServiceClient(http.DefaultClient, e.url,
		connect.WithInterceptors(callerHeader{caller, token}))
}

type callerHeader struct{ caller, token string }

func (c callerHeader) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if c.caller != "" {
			req.Header().Set(server.CallerAppIDHeader, c.caller)
		}
		if c.token != "" {
			req.Header().Set(apptoken.Header, c.token)
		}
		return next(ctx, req)
	}
}
func (c callerHeader) WrapStreamingClient(n connect.StreamingClientFunc) connect.StreamingClientFunc {
	return n
}
func (c callerHeader) WrapStreamingHandler(n connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return n
}

func TestSpawnOccurrenceCopiesTheTaskOnceAndOnlyOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.newUser(rpctest.Connect)
	tag, err := u.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: "gym"}))
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2030, 1, 7, 8, 0, 0, 0, time.UTC)
	r, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{
		Title: "swim", Description: "50 lengths", Priority: taskv1.Priority_PRIORITY_HIGH,
		TagIds: []string{tag.Msg.GetTag().GetId()}, Due: &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(due)}},
		Reminders: []*taskv1.Reminder{
			{When: &taskv1.Reminder_BeforeDue{BeforeDue: durationpb.New(time.Hour)}},
			{When: &taskv1.Reminder_At{At: timestamppb.New(due.Add(-48 * time.Hour))}},
		},
		Recurrence: &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_WEEKLY, Interval: 1},
	}}))
	if err != nil {
		t.Fatal(err)
	}
	first := r.Msg.GetTask()
	if first.GetSeriesId() == "" || first.GetOccurrenceIndex() != 1 {
		t.Fatalf("a recurring task starts a series: %v", first)
	}
	rec := e.internalClient(meshnames.Recurring)
	nextDue := &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(due.Add(7 * 24 * time.Hour))}}
	spawn := &internalv1.SpawnOccurrenceRequest{
		UserId: u.userID.String(), SourceTaskId: first.GetId(), SeriesId: first.GetSeriesId(), OccurrenceIndex: 2, Due: nextDue,
	}
	got, err := rec.SpawnOccurrence(ctx, connect.NewRequest(spawn))
	if err != nil {
		t.Fatal(err)
	}
	next := got.Msg.GetTask()
	if !got.Msg.GetCreated() || next.GetOccurrenceIndex() != 2 || next.GetSeriesId() != first.GetSeriesId() ||
		next.GetTitle() != "swim" || next.GetDescription() != "50 lengths" || next.GetPriority() != taskv1.Priority_PRIORITY_HIGH ||
		len(next.GetTagIds()) != 1 || next.GetRecurrence().GetFrequency() != taskv1.Frequency_FREQUENCY_WEEKLY ||
		!next.GetDue().GetAt().AsTime().Equal(due.Add(7*24*time.Hour)) || next.GetStatus() != taskv1.TaskStatus_TASK_STATUS_PENDING {
		t.Fatalf("next occurrence = %v", next)
	}
	if rs := next.GetReminders(); len(rs) != 1 || rs[0].GetBeforeDue().AsDuration() != time.Hour {
		t.Fatalf("next occurrence reminders = %v; want only the relative one", rs)
	}
	again, err := rec.SpawnOccurrence(ctx, connect.NewRequest(spawn))
	if err != nil {
		t.Fatal(err)
	}
	if again.Msg.GetCreated() || again.Msg.GetTask().GetId() != next.GetId() {
		t.Fatalf("a repeated spawn = created %v, id %s; want the same task, not created", again.Msg.GetCreated(), again.Msg.GetTask().GetId())
	}
	// Concurrent spawns of the next occurrence create exactly one.
	spawn3 := &internalv1.SpawnOccurrenceRequest{UserId: u.userID.String(), SourceTaskId: next.GetId(), SeriesId: first.GetSeriesId(), OccurrenceIndex: 3, Due: nextDue}
	results := make(chan *internalv1.SpawnOccurrenceResponse, 8)
	for range 8 {
		go func() {
			res, err := rec.SpawnOccurrence(ctx, connect.NewRequest(spawn3))
			if err != nil {
				t.Error(err)
				results <- nil
				return
			}
			results <- res.Msg
		}()
	}
	created, ids := 0, map[string]bool{}
	for range 8 {
		if res := <-results; res != nil {
			ids[res.GetTask().GetId()] = true
			if res.GetCreated() {
				created++
			}
		}
	}
	if created != 1 || len(ids) != 1 {
		t.Fatalf("8 racing spawns created %d tasks (%d distinct ids); want exactly 1", created, len(ids))
	}

	_, err = rec.SpawnOccurrence(ctx, connect.NewRequest(&internalv1.SpawnOccurrenceRequest{
		UserId: u.userID.String(), SourceTaskId: first.GetId(), SeriesId: first.GetSeriesId(), OccurrenceIndex: 5, Due: nextDue,
	}))
	rpctest.WantInvalid(t, err, "occurrence_index")
	other := e.newUser(rpctest.Connect)
	_, err = rec.SpawnOccurrence(ctx, connect.NewRequest(&internalv1.SpawnOccurrenceRequest{
		UserId: other.userID.String(), SourceTaskId: first.GetId(), SeriesId: first.GetSeriesId(), OccurrenceIndex: 2, Due: nextDue,
	}))
	rpctest.WantCode(t, err, connect.CodeNotFound)

	series, err := rec.GetSeries(ctx, connect.NewRequest(&internalv1.GetSeriesRequest{UserId: u.userID.String(), SeriesId: first.GetSeriesId()}))
	if err != nil {
		t.Fatal(err)
	}
	if series.Msg.GetTimeZone() != "Europe/Paris" || !series.Msg.GetFirstDue().GetAt().AsTime().Equal(due) {
		t.Fatalf("series = %v", series.Msg)
	}
	_, err = rec.GetSeries(ctx, connect.NewRequest(&internalv1.GetSeriesRequest{UserId: other.userID.String(), SeriesId: first.GetSeriesId()}))
	rpctest.WantCode(t, err, connect.CodeNotFound)
}

func TestInternalServiceIsOnlyForTheMeshCallers(t *testing.T) {
	e := newEnv(t)
	u := e.newUser(rpctest.Connect)
	for _, caller := range []string{"", meshnames.Web, "stranger"} {
		_, err := e.internalClient(caller).GetChangeSeq(context.Background(), connect.NewRequest(&internalv1.GetChangeSeqRequest{UserId: u.userID.String()}))
		rpctest.WantCode(t, err, connect.CodePermissionDenied)
	}
	// Straight to the port with a forged caller: no token, or a wrong one.
	for _, token := range []string{"", strings.Repeat("x", len(testAppSecret))} {
		_, err := e.forgedInternalClient(meshnames.Recurring, token).GetChangeSeq(context.Background(), connect.NewRequest(&internalv1.GetChangeSeqRequest{UserId: u.userID.String()}))
		rpctest.WantCode(t, err, connect.CodeUnauthenticated)
	}
	resp, err := e.internalClient(meshnames.Realtime).GetChangeSeq(context.Background(), connect.NewRequest(&internalv1.GetChangeSeqRequest{UserId: u.userID.String()}))
	if err != nil || resp.Msg.GetChangeSeq() != 0 {
		t.Fatalf("GetChangeSeq of a new user = %v, %v; want 0", resp, err)
	}
}

func TestReminderSweepFiresDueRemindersOnceAndSkipsDoneTasks(t *testing.T) {
	e := newOwnEnv(t)
	ctx := context.Background()
	u := e.newUser(rpctest.Connect)
	now := time.Now()
	create := func(title string, remindAt time.Time) *taskv1.Task {
		r, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{
			Title: title, Reminders: []*taskv1.Reminder{{When: &taskv1.Reminder_At{At: timestamppb.New(remindAt)}}},
		}}))
		if err != nil {
			t.Fatal(err)
		}
		return r.Msg.GetTask()
	}
	due := create("due now", now.Add(-time.Second))
	create("later", now.Add(time.Hour))
	done := create("completed before its reminder", now.Add(-time.Second))
	if _, err := u.tasks.CompleteTask(ctx, connect.NewRequest(&taskv1.CompleteTaskRequest{Id: done.GetId()})); err != nil {
		t.Fatal(err)
	}
	gone := create("deleted before its reminder", now.Add(-time.Second))
	if _, err := u.tasks.DeleteTask(ctx, connect.NewRequest(&taskv1.DeleteTaskRequest{Id: gone.GetId()})); err != nil {
		t.Fatal(err)
	}
	before := len(e.outbox(0))
	n, err := e.store.SweepReminders(ctx, now)
	if err != nil || n != 1 {
		t.Fatalf("sweep fired %d (%v); want 1", n, err)
	}
	var events []*eventsv1.ReminderEvent
	for _, row := range e.outbox(0) {
		if row.reminder != nil {
			events = append(events, row.reminder)
		}
	}
	if len(events) != 1 || events[0].GetTaskId() != due.GetId() || events[0].GetUserId() != u.userID.String() ||
		events[0].GetTitle() != "due now" || events[0].GetReminderId() != due.GetReminders()[0].GetId() || len(e.outbox(before)) != 1 {
		t.Fatalf("reminder events = %v", events)
	}
	if n, err := e.store.SweepReminders(ctx, now.Add(time.Second)); err != nil || n != 0 {
		t.Fatalf("a second sweep fired %d (%v); want 0", n, err)
	}
	got, err := u.tasks.GetTask(ctx, connect.NewRequest(&taskv1.GetTaskRequest{Id: due.GetId()}))
	if err != nil || got.Msg.GetTask().GetReminders()[0].GetFiredAt() == nil {
		t.Fatalf("the fired reminder has no fired_at: %v, %v", got, err)
	}
	// Reopened and restored tasks get their future reminders back, not the past ones.
	if _, err := u.tasks.ReopenTask(ctx, connect.NewRequest(&taskv1.ReopenTaskRequest{Id: done.GetId()})); err != nil {
		t.Fatal(err)
	}
	if _, err := u.tasks.RestoreTask(ctx, connect.NewRequest(&taskv1.RestoreTaskRequest{Id: gone.GetId()})); err != nil {
		t.Fatal(err)
	}
	if n, err := e.store.SweepReminders(ctx, time.Now()); err != nil || n != 0 {
		t.Fatalf("after reopen/restore a sweep fired %d (%v); want 0 (those reminders were past)", n, err)
	}
	// Catch-up: a reminder missed by an hour fires at the next sweep.
	missed := create("missed while down", now.Add(-time.Hour))
	if n, err := e.store.SweepReminders(ctx, time.Now()); err != nil || n != 1 {
		t.Fatalf("catch-up sweep fired %d (%v); want 1 (%s)", n, err, missed.GetId())
	}
}

func TestConcurrentSweepsClaimEachReminderOnce(t *testing.T) {
	e := newOwnEnv(t)
	ctx := context.Background()
	u := e.newUser(rpctest.Connect)
	past := time.Now().Add(-time.Minute)
	for i := range 50 {
		_, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{
			Title: "t" + uuid.NewString()[:4], Reminders: []*taskv1.Reminder{
				{When: &taskv1.Reminder_At{At: timestamppb.New(past.Add(time.Duration(i) * time.Millisecond))}},
				{When: &taskv1.Reminder_At{At: timestamppb.New(past.Add(time.Second))}},
			},
		}}))
		if err != nil {
			t.Fatal(err)
		}
	}
	total := make(chan int, 4)
	for range 4 {
		go func() {
			n, err := e.store.SweepReminders(ctx, time.Now())
			if err != nil {
				t.Error(err)
			}
			total <- n
		}()
	}
	sum := 0
	for range 4 {
		sum += <-total
	}
	var events int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE topic = $1`, meshnames.Reminders).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if sum != 100 || events != 100 {
		t.Fatalf("4 concurrent sweeps fired %d reminders and wrote %d events; want 100 and 100", sum, events)
	}
}
