package handler_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1"
	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/services/audit/internal/store"
)

// fuzzQueries are a history's queries with each kind of filter.
func fuzzQueries(h *history) []*auditv1.ListAuditEntriesRequest {
	return []*auditv1.ListAuditEntriesRequest{
		{},
		{TaskId: h.taskB.String()},
		{Types: []eventsv1.TaskEventType{updated, done}},
		{OccurredAfter: timestamppb.New(base.Add(time.Minute)), OccurredBefore: timestamppb.New(base.Add(time.Hour))},
	}
}

// FuzzListAuditEntriesPageToken: whatever page_token a client sends, ListAuditEntries
// answers a page or InvalidArgument on page_token; never Internal, never a panic.
func FuzzListAuditEntriesPageToken(f *testing.F) {
	h := newHistory(f, newEnv(f), rpctest.GRPC)
	rpctest.FuzzPageToken(f, rpctest.PageTokenFuzz[auditv1.ListAuditEntriesRequest, auditv1.ListAuditEntriesResponse]{
		List:    h.u.Client.ListAuditEntries,
		Queries: fuzzQueries(h),
		Items:   func(r *auditv1.ListAuditEntriesResponse) int { return len(r.GetEntries()) },
		Cursors: rpctest.TimeIDCursors,
	})
}

// A real token decodes to a store.Cursor: the fuzz seeds above are realistic.
func TestPageTokenCarriesTheKeysetCursor(t *testing.T) {
	h := newHistory(t, newEnv(t), rpctest.Connect)
	c, page := rpctest.FirstPageCursor[store.Cursor](t, h.u.Client.ListAuditEntries, &auditv1.ListAuditEntriesRequest{}, 2)
	last := page.GetEntries()[len(page.GetEntries())-1]
	if c.ID.String() != last.GetId() || !c.OccurredAt.Equal(last.GetOccurredAt().AsTime()) {
		t.Fatalf("cursor %+v; want the last entry of the page (%s at %s)", c, last.GetId(), last.GetOccurredAt().AsTime())
	}
}
