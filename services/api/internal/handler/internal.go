package handler

import (
	"context"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	internalv1 "github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1/internalv1connect"
	"github.com/taskmesh/taskmesh/services/api/internal/store"
	"github.com/taskmesh/taskmesh/services/api/internal/taskrules"
)

// InternalServer implements TaskInternalService for the other services of the mesh. It
// is mounted without end-user authentication: the web gateway never routes it, and on
// Kubernetes Dapr access control admits only recurring and notification.
type InternalServer struct {
	store *store.Store
}

var _ internalv1connect.TaskInternalServiceHandler = (*InternalServer)(nil)

// NewInternalServer returns an InternalServer.
func NewInternalServer(st *store.Store) *InternalServer { return &InternalServer{store: st} }

// SpawnOccurrence implements TaskInternalService.SpawnOccurrence.
func (s *InternalServer) SpawnOccurrence(ctx context.Context, req *connect.Request[internalv1.SpawnOccurrenceRequest]) (*connect.Response[internalv1.SpawnOccurrenceResponse], error) {
	m := req.Msg
	userID, err := parseID("user_id", m.GetUserId())
	if err != nil {
		return nil, err
	}
	sourceID, err := parseID("source_task_id", m.GetSourceTaskId())
	if err != nil {
		return nil, err
	}
	seriesID, err := parseID("series_id", m.GetSeriesId())
	if err != nil {
		return nil, err
	}
	task, created, err := s.store.SpawnOccurrence(ctx, userID, sourceID, seriesID, m.GetOccurrenceIndex(), m.GetDue())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&internalv1.SpawnOccurrenceResponse{Task: task, Created: created}), nil
}

// GetSeries implements TaskInternalService.GetSeries.
func (s *InternalServer) GetSeries(ctx context.Context, req *connect.Request[internalv1.GetSeriesRequest]) (*connect.Response[internalv1.GetSeriesResponse], error) {
	userID, err := parseID("user_id", req.Msg.GetUserId())
	if err != nil {
		return nil, err
	}
	seriesID, err := parseID("series_id", req.Msg.GetSeriesId())
	if err != nil {
		return nil, err
	}
	series, err := s.store.Series(ctx, userID, seriesID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&internalv1.GetSeriesResponse{TimeZone: series.TimeZone, FirstDue: series.FirstDue}), nil
}

// GetTaskForUser implements TaskInternalService.GetTaskForUser.
func (s *InternalServer) GetTaskForUser(ctx context.Context, req *connect.Request[internalv1.GetTaskForUserRequest]) (*connect.Response[internalv1.GetTaskForUserResponse], error) {
	userID, err := parseID("user_id", req.Msg.GetUserId())
	if err != nil {
		return nil, err
	}
	taskID, err := parseID("task_id", req.Msg.GetTaskId())
	if err != nil {
		return nil, err
	}
	task, err := s.store.Task(ctx, userID, taskID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&internalv1.GetTaskForUserResponse{Task: task}), nil
}

// GetChangeSeq implements TaskInternalService.GetChangeSeq.
func (s *InternalServer) GetChangeSeq(ctx context.Context, req *connect.Request[internalv1.GetChangeSeqRequest]) (*connect.Response[internalv1.GetChangeSeqResponse], error) {
	userID, err := parseID("user_id", req.Msg.GetUserId())
	if err != nil {
		return nil, err
	}
	seq, err := s.store.ChangeSeq(ctx, userID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&internalv1.GetChangeSeqResponse{ChangeSeq: seq}), nil
}

func parseID(field, raw string) (uuid.UUID, error) { return taskrules.ParseID(field, raw) }
