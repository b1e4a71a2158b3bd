package handler_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1"
	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

func listRequest(edits ...func(*auditv1.ListAuditEntriesRequest)) *connect.Request[auditv1.ListAuditEntriesRequest] {
	return rpctest.NewRequest(edits...)
}

// history is a user's recorded events: two tasks, seven changes, three of them at the
// same moment so that the id decides their order.
type history struct {
	u            *user
	taskA, taskB uuid.UUID
	events       []*eventsv1.TaskEvent // in delivery order
}

// newHistory records a history for a new user whose client speaks p.
func newHistory(t testing.TB, e *env, p rpctest.Protocol) *history {
	t.Helper()
	h := &history{u: e.NewUser(p), taskA: uuid.New(), taskB: uuid.New()}
	tie := base.Add(3 * time.Minute)
	for i, c := range []struct {
		task uuid.UUID
		typ  eventsv1.TaskEventType
		at   time.Time
	}{
		{h.taskA, created, base},
		{h.taskB, created, base.Add(time.Minute)},
		{h.taskA, updated, base.Add(2 * time.Minute)},
		{h.taskA, done, tie}, // a bulk change: three events committed together
		{h.taskB, updated, tie},
		{h.taskB, done, tie},
		{h.taskB, deleted, base.Add(4 * time.Minute)},
	} {
		te := event(h.u.ID, c.task, c.typ, c.at, int64(i+1))
		h.events = append(h.events, te)
		e.mustDeliver(te)
	}
	return h
}

// eventIDs lists the event ids of entries, in order.
func eventIDs(entries []*auditv1.AuditEntry) []string {
	return rpctest.Values(entries, (*auditv1.AuditEntry).GetEventId)
}

// listAll pages through every entry of req with page size size.
func listAll(t *testing.T, u *user, req *auditv1.ListAuditEntriesRequest, size int32) []*auditv1.AuditEntry {
	t.Helper()
	return rpctest.ListAll(t, u.Client.ListAuditEntries, req, size, (*auditv1.ListAuditEntriesResponse).GetEntries)
}

// wantOrder fails unless entries are newest first, ties by id descending.
func wantOrder(t *testing.T, entries []*auditv1.AuditEntry) {
	t.Helper()
	for i := 1; i < len(entries); i++ {
		a, b := entries[i-1], entries[i]
		at, bt := a.GetOccurredAt().AsTime(), b.GetOccurredAt().AsTime()
		if at.Before(bt) || (at.Equal(bt) && a.GetId() <= b.GetId()) {
			t.Fatalf("entry %d (%s %s) before entry %d (%s %s): not newest first, id descending",
				i-1, at, a.GetId(), i, bt, b.GetId())
		}
	}
}

func TestListAuditEntriesNewestFirstAndFiltered(t *testing.T) {
	e := newEnv(t)
	for _, p := range rpctest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			h := newHistory(t, e, p)
			ev := h.events
			// Newest first; the three tied events in id order, descending (ids are
			// assigned in delivery order, so later deliveries come first).
			all := []string{ev[6].EventId, ev[5].EventId, ev[4].EventId, ev[3].EventId, ev[2].EventId, ev[1].EventId, ev[0].EventId}
			pick := func(idx ...int) []string {
				var out []string
				for _, id := range all {
					for _, i := range idx {
						if ev[i].EventId == id {
							out = append(out, id)
						}
					}
				}
				return out
			}
			ts := func(d time.Duration) *timestamppb.Timestamp { return timestamppb.New(base.Add(d)) }
			tie := 3 * time.Minute
			cases := []struct {
				name string
				req  *auditv1.ListAuditEntriesRequest
				want []string
			}{
				{"everything", &auditv1.ListAuditEntriesRequest{}, all},
				{"one type", &auditv1.ListAuditEntriesRequest{Types: []eventsv1.TaskEventType{created}}, pick(0, 1)},
				{"two types", &auditv1.ListAuditEntriesRequest{Types: []eventsv1.TaskEventType{done, deleted}}, pick(3, 5, 6)},
				{"a type nobody has", &auditv1.ListAuditEntriesRequest{Types: []eventsv1.TaskEventType{eventsv1.TaskEventType_TASK_EVENT_TYPE_RESTORED}}, nil},
				{"task A", &auditv1.ListAuditEntriesRequest{TaskId: h.taskA.String()}, pick(0, 2, 3)},
				{"task B", &auditv1.ListAuditEntriesRequest{TaskId: h.taskB.String()}, pick(1, 4, 5, 6)},
				{"unknown task", &auditv1.ListAuditEntriesRequest{TaskId: uuid.NewString()}, nil},
				{"after, inclusive", &auditv1.ListAuditEntriesRequest{OccurredAfter: ts(tie)}, pick(3, 4, 5, 6)},
				{"before, exclusive", &auditv1.ListAuditEntriesRequest{OccurredBefore: ts(tie)}, pick(0, 1, 2)},
				{"range", &auditv1.ListAuditEntriesRequest{OccurredAfter: ts(time.Minute), OccurredBefore: ts(tie + time.Microsecond)}, pick(1, 2, 3, 4, 5)},
				{"range of one microsecond", &auditv1.ListAuditEntriesRequest{OccurredAfter: ts(tie), OccurredBefore: ts(tie + time.Microsecond)}, pick(3, 4, 5)},
				{"all filters", &auditv1.ListAuditEntriesRequest{
					Types: []eventsv1.TaskEventType{updated, done}, TaskId: h.taskB.String(),
					OccurredAfter: ts(time.Minute), OccurredBefore: ts(4 * time.Minute),
				}, pick(4, 5)},
				{"all filters, nothing matches", &auditv1.ListAuditEntriesRequest{
					Types: []eventsv1.TaskEventType{created}, TaskId: h.taskB.String(), OccurredAfter: ts(2 * time.Minute),
				}, nil},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					resp, err := h.u.Client.ListAuditEntries(context.Background(), connect.NewRequest(tc.req))
					if err != nil {
						t.Fatal(err)
					}
					got := resp.Msg.GetEntries()
					wantOrder(t, got)
					if !slices.Equal(eventIDs(got), tc.want) {
						t.Fatalf("got events %v\nwant        %v", eventIDs(got), tc.want)
					}
					if resp.Msg.GetNextPageToken() != "" {
						t.Fatalf("next_page_token %q on a single page", resp.Msg.GetNextPageToken())
					}
					// The same through pages of two.
					if paged := eventIDs(listAll(t, h.u, tc.req, 2)); !slices.Equal(paged, tc.want) {
						t.Fatalf("paged by 2: %v\nwant        %v", paged, tc.want)
					}
				})
			}
		})
	}
}

func TestListAuditEntriesPagesThroughEverythingOnce(t *testing.T) {
	e := newEnv(t)
	for _, p := range rpctest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			h := newHistory(t, e, p)
			// More ties, so that pages split inside a group of equal occurred_at.
			tie := base.Add(10 * time.Minute)
			for i := range 5 {
				e.mustDeliver(event(h.u.ID, h.taskA, updated, tie, int64(20+i)))
			}
			full := listAll(t, h.u, &auditv1.ListAuditEntriesRequest{PageSize: 200}, 200)
			if len(full) != 12 {
				t.Fatalf("%d entries; want 12", len(full))
			}
			wantOrder(t, full)
			for _, size := range []int32{1, 2, 3, 5, 11, 12, 13} {
				t.Run(fmt.Sprint("page size ", size), func(t *testing.T) {
					paged := listAll(t, h.u, &auditv1.ListAuditEntriesRequest{}, size)
					if !slices.Equal(eventIDs(paged), eventIDs(full)) {
						t.Fatalf("paged: %v\nwhole: %v", eventIDs(paged), eventIDs(full))
					}
				})
			}

			// A page ends with a token; the last page has none; default page size is 50.
			resp, err := h.u.Client.ListAuditEntries(context.Background(), listRequest(func(r *auditv1.ListAuditEntriesRequest) { r.PageSize = 2 }))
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Msg.GetEntries()) != 2 || resp.Msg.GetNextPageToken() == "" {
				t.Fatalf("first page of 2: %d entries, token %q", len(resp.Msg.GetEntries()), resp.Msg.GetNextPageToken())
			}
			// New entries recorded while paging do not shift the pages: the cursor is a
			// keyset, not an offset.
			e.mustDeliver(event(h.u.ID, h.taskA, updated, base.Add(time.Hour), 99))
			rest := listAll(t, h.u, &auditv1.ListAuditEntriesRequest{PageToken: resp.Msg.GetNextPageToken()}, 2)
			if got, want := eventIDs(append(resp.Msg.GetEntries(), rest...)), eventIDs(full); !slices.Equal(got, want) {
				t.Fatalf("paging across a new entry: %v\nwant %v", got, want)
			}
		})
	}
}

func TestListAuditEntriesDefaultPageSizeIs50(t *testing.T) {
	e := newEnv(t)
	u := e.NewUser(rpctest.GRPC)
	taskID := uuid.New()
	for i := range 51 {
		e.mustDeliver(event(u.ID, taskID, updated, base.Add(time.Duration(i)*time.Second), int64(i+1)))
	}
	resp, err := u.Client.ListAuditEntries(context.Background(), listRequest())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.Msg.GetEntries()); n != 50 || resp.Msg.GetNextPageToken() == "" {
		t.Fatalf("default page: %d entries, token %q; want 50 and a token", n, resp.Msg.GetNextPageToken())
	}
}

func TestListAuditEntriesReturnsTheSnapshotsAsPublished(t *testing.T) {
	e := newEnv(t)
	for _, p := range rpctest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			u := e.NewUser(p)
			taskID := uuid.New()
			create := event(u.ID, taskID, created, base, 1)
			update := event(u.ID, taskID, updated, base.Add(time.Second), 2)
			update.Task.Title, update.Task.Recurrence, update.Task.Reminders = "renamed", nil, nil
			e.mustDeliver(create)
			e.mustDeliver(update)

			resp, err := u.Client.ListAuditEntries(context.Background(), listRequest())
			if err != nil {
				t.Fatal(err)
			}
			got := resp.Msg.GetEntries()
			if len(got) != 2 {
				t.Fatalf("%d entries; want 2", len(got))
			}
			for i, want := range []*eventsv1.TaskEvent{update, create} {
				en := got[i]
				if _, err := uuid.Parse(en.GetId()); err != nil {
					t.Errorf("entry id %q: %v", en.GetId(), err)
				}
				if en.GetEventId() != want.GetEventId() || en.GetType() != want.GetType() || en.GetTaskId() != taskID.String() ||
					en.GetChangeSeq() != want.GetChangeSeq() || !proto.Equal(en.GetOccurredAt(), want.GetOccurredAt()) {
					t.Errorf("entry %d = %v; want it to record %v", i, en, want)
				}
				if !proto.Equal(en.GetAfter(), want.GetTask()) {
					t.Errorf("entry %d after:\n got %v\nwant %v", i, en.GetAfter(), want.GetTask())
				}
				if !proto.Equal(en.GetBefore(), want.GetPrevious()) {
					t.Errorf("entry %d before:\n got %v\nwant %v", i, en.GetBefore(), want.GetPrevious())
				}
			}
			if got[1].GetBefore() != nil {
				t.Errorf("a creation has a before snapshot: %v", got[1].GetBefore())
			}
		})
	}
}

func TestListAuditEntriesShowsOnlyTheCallersEntries(t *testing.T) {
	e := newEnv(t)
	for _, p := range rpctest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			a := newHistory(t, e, p)
			b := e.NewUser(p)
			ctx := context.Background()
			for _, req := range []*auditv1.ListAuditEntriesRequest{
				{},
				{TaskId: a.taskA.String()},
				{TaskId: a.taskB.String(), Types: []eventsv1.TaskEventType{created}},
				{OccurredAfter: timestamppb.New(base.Add(-time.Hour)), OccurredBefore: timestamppb.New(base.Add(time.Hour))},
			} {
				resp, err := b.Client.ListAuditEntries(ctx, connect.NewRequest(req))
				if err != nil {
					t.Fatal(err)
				}
				if n := len(resp.Msg.GetEntries()); n != 0 {
					t.Fatalf("user B listing %v sees %d of A's entries", req, n)
				}
			}
			// A's page token is bound to A's query, not A: B replaying it sees only B's
			// (no) entries.
			first, err := a.u.Client.ListAuditEntries(ctx, listRequest(func(r *auditv1.ListAuditEntriesRequest) { r.PageSize = 1 }))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := b.Client.ListAuditEntries(ctx, listRequest(func(r *auditv1.ListAuditEntriesRequest) {
				r.PageSize, r.PageToken = 1, first.Msg.GetNextPageToken()
			}))
			if err != nil {
				t.Fatal(err)
			}
			if n := len(resp.Msg.GetEntries()); n != 0 {
				t.Fatalf("user B replaying A's page token sees %d of A's entries", n)
			}
			// And A still sees all of theirs.
			if n := len(listAll(t, a.u, &auditv1.ListAuditEntriesRequest{}, 50)); n != 7 {
				t.Fatalf("A sees %d entries; want 7", n)
			}
		})
	}
}

func TestListAuditEntriesNeedsAValidAccessToken(t *testing.T) {
	e := newEnv(t)
	u := e.NewUser(rpctest.Connect)
	e.mustDeliver(event(u.ID, uuid.New(), created, base, 1))
	for _, p := range rpctest.Protocols {
		for name, token := range rpctest.BadTokens(t, u.ID) {
			t.Run(p.Name+"/"+name, func(t *testing.T) {
				_, err := e.WithToken(p, token).ListAuditEntries(context.Background(), listRequest())
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
			})
		}
	}
}

func TestListAuditEntriesRejectsBadRequests(t *testing.T) {
	e := newEnv(t)
	for _, p := range rpctest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			h := newHistory(t, e, p)
			ctx := context.Background()
			rpctest.WantPagingChecked(t, h.u.Client.ListAuditEntries,
				&auditv1.ListAuditEntriesRequest{}, &auditv1.ListAuditEntriesRequest{TaskId: h.taskA.String()}, 200)
			cases := []struct {
				name  string
				edit  func(*auditv1.ListAuditEntriesRequest)
				field string
			}{
				{"page_size 1000", func(r *auditv1.ListAuditEntriesRequest) { r.PageSize = 1000 }, "page_size"},
				{"task_id not a UUID", func(r *auditv1.ListAuditEntriesRequest) { r.TaskId = "task-1" }, "task_id"},
				{"unspecified type", func(r *auditv1.ListAuditEntriesRequest) {
					r.Types = []eventsv1.TaskEventType{eventsv1.TaskEventType_TASK_EVENT_TYPE_UNSPECIFIED}
				}, "types[0]"},
				{"undefined type", func(r *auditv1.ListAuditEntriesRequest) { r.Types = []eventsv1.TaskEventType{created, 42} }, "types[1]"},
				{"repeated type", func(r *auditv1.ListAuditEntriesRequest) { r.Types = []eventsv1.TaskEventType{created, created} }, "types"},
				{"empty range", func(r *auditv1.ListAuditEntriesRequest) {
					r.OccurredAfter, r.OccurredBefore = timestamppb.New(base), timestamppb.New(base)
				}, "occurred_before"},
				{"inverted range", func(r *auditv1.ListAuditEntriesRequest) {
					r.OccurredAfter, r.OccurredBefore = timestamppb.New(base.Add(time.Hour)), timestamppb.New(base)
				}, "occurred_before"},
			}
			if p.Name == "grpc" { // JSON cannot carry these: the Connect JSON client refuses to send them
				cases = append(cases, []struct {
					name  string
					edit  func(*auditv1.ListAuditEntriesRequest)
					field string
				}{
					{"malformed occurred_after", func(r *auditv1.ListAuditEntriesRequest) {
						r.OccurredAfter = &timestamppb.Timestamp{Seconds: 1 << 62}
					}, "occurred_after"},
					{"malformed occurred_before", func(r *auditv1.ListAuditEntriesRequest) {
						r.OccurredBefore = &timestamppb.Timestamp{Nanos: -1}
					}, "occurred_before"},
					{"occurred_after before year 1", func(r *auditv1.ListAuditEntriesRequest) {
						r.OccurredAfter = &timestamppb.Timestamp{Seconds: -62135596801}
					}, "occurred_after"},
					{"occurred_before after year 9999", func(r *auditv1.ListAuditEntriesRequest) {
						r.OccurredBefore = &timestamppb.Timestamp{Seconds: 253402300800}
					}, "occurred_before"},
				}...)
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					_, err := h.u.Client.ListAuditEntries(ctx, listRequest(tc.edit))
					rpctest.WantInvalid(t, err, tc.field)
				})
			}
		})
	}
}
