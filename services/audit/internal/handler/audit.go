// Package handler serves the audit service: AuditService (the caller's activity log) and
// the consumer that records every TaskEvent in it.
package handler

import (
	"context"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1/auditv1connect"
	"github.com/taskmesh/taskmesh/pkg/apierr"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/pagetoken"
	"github.com/taskmesh/taskmesh/services/audit/internal/store"
)

// AuditServer implements AuditService.
type AuditServer struct {
	store *store.Store
}

var _ auditv1connect.AuditServiceHandler = (*AuditServer)(nil)

// NewAuditServer returns an AuditServer reading st.
func NewAuditServer(st *store.Store) *AuditServer { return &AuditServer{store: st} }

// ListAuditEntries implements AuditService.ListAuditEntries: the caller's entries only,
// newest first. It returns InvalidArgument for a malformed time, an empty time range, or
// a page_token that is garbled or was issued for other filters.
func (s *AuditServer) ListAuditEntries(ctx context.Context, req *connect.Request[auditv1.ListAuditEntriesRequest]) (*connect.Response[auditv1.ListAuditEntriesResponse], error) {
	userID, err := authn.UserID(ctx)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	f := store.Filter{Types: m.GetTypes()}
	if id := m.GetTaskId(); id != "" {
		taskID, err := uuid.Parse(id) // protovalidate checked the format
		if err != nil {
			return nil, apierr.Invalid("task_id", "string.uuid", "value must be a valid UUID")
		}
		f.TaskID = &taskID
	}
	if f.OccurredAfter, err = optionalTime("occurred_after", m.GetOccurredAfter()); err != nil {
		return nil, err
	}
	if f.OccurredBefore, err = optionalTime("occurred_before", m.GetOccurredBefore()); err != nil {
		return nil, err
	}
	if f.OccurredAfter != nil && f.OccurredBefore != nil && !f.OccurredAfter.Before(*f.OccurredBefore) {
		return nil, apierr.Invalid("occurred_before", "occurred_range", "occurred_before must be after occurred_after")
	}

	page, err := pagetoken.Start[store.Cursor](m)
	if err != nil {
		return nil, err
	}
	entries, next, err := s.store.List(ctx, userID, f, page.Size, page.After)
	if err != nil {
		return nil, err
	}
	resp := &auditv1.ListAuditEntriesResponse{Entries: entries}
	if resp.NextPageToken, err = page.NextToken(next); err != nil {
		return nil, err
	}
	return connect.NewResponse(resp), nil
}

// optionalTime converts a request timestamp, nil when unset.
func optionalTime(field string, ts *timestamppb.Timestamp) (*time.Time, error) {
	if ts == nil {
		return nil, nil
	}
	if err := ts.CheckValid(); err != nil {
		return nil, apierr.Invalid(field, "timestamp.valid", "must be a time between years 1 and 9999")
	}
	t := ts.AsTime()
	return &t, nil
}
