package handler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/task/v1/taskv1connect"
	"github.com/taskmesh/taskmesh/pkg/apierr"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/pagetoken"
	"github.com/taskmesh/taskmesh/pkg/recurrence"
	"github.com/taskmesh/taskmesh/services/api/internal/store"
	"github.com/taskmesh/taskmesh/services/api/internal/taskrules"
)

// defaultSyncPageSize is SyncTasks' page size when the request sets none.
const defaultSyncPageSize = 500

// TaskServer implements TaskService.
type TaskServer struct {
	store *store.Store
	now   func() time.Time
}

var _ taskv1connect.TaskServiceHandler = (*TaskServer)(nil)

// NewTaskServer returns a TaskServer.
func NewTaskServer(st *store.Store) *TaskServer {
	return &TaskServer{store: st, now: time.Now}
}

// CreateTask implements TaskService.CreateTask.
func (s *TaskServer) CreateTask(ctx context.Context, req *connect.Request[taskv1.CreateTaskRequest]) (*connect.Response[taskv1.CreateTaskResponse], error) {
	userID, err := authn.UserID(ctx)
	if err != nil {
		return nil, err
	}
	task, err := s.store.CreateTask(ctx, userID, req.Msg.GetTask())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&taskv1.CreateTaskResponse{Task: task}), nil
}

// GetTask implements TaskService.GetTask.
func (s *TaskServer) GetTask(ctx context.Context, req *connect.Request[taskv1.GetTaskRequest]) (*connect.Response[taskv1.GetTaskResponse], error) {
	userID, id, err := userAndID(ctx, "id", req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	task, err := s.store.Task(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&taskv1.GetTaskResponse{Task: task}), nil
}

// UpdateTask implements TaskService.UpdateTask.
func (s *TaskServer) UpdateTask(ctx context.Context, req *connect.Request[taskv1.UpdateTaskRequest]) (*connect.Response[taskv1.UpdateTaskResponse], error) {
	m := req.Msg
	if m.GetTask() == nil {
		return nil, apierr.Invalid("task", "required", "value is required")
	}
	userID, id, err := userAndID(ctx, "task.id", m.GetTask().GetId())
	if err != nil {
		return nil, err
	}
	mask, err := taskrules.ParseMask(m.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, err
	}
	task, err := s.store.UpdateTask(ctx, userID, id, m.GetTask(), mask, m.GetExpectedVersion())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&taskv1.UpdateTaskResponse{Task: task}), nil
}

// DeleteTask implements TaskService.DeleteTask.
func (s *TaskServer) DeleteTask(ctx context.Context, req *connect.Request[taskv1.DeleteTaskRequest]) (*connect.Response[taskv1.DeleteTaskResponse], error) {
	task, err := s.change(ctx, req.Msg.GetId(), s.store.DeleteTask)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&taskv1.DeleteTaskResponse{Task: task}), nil
}

// RestoreTask implements TaskService.RestoreTask.
func (s *TaskServer) RestoreTask(ctx context.Context, req *connect.Request[taskv1.RestoreTaskRequest]) (*connect.Response[taskv1.RestoreTaskResponse], error) {
	task, err := s.change(ctx, req.Msg.GetId(), s.store.RestoreTask)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&taskv1.RestoreTaskResponse{Task: task}), nil
}

// CompleteTask implements TaskService.CompleteTask.
func (s *TaskServer) CompleteTask(ctx context.Context, req *connect.Request[taskv1.CompleteTaskRequest]) (*connect.Response[taskv1.CompleteTaskResponse], error) {
	task, err := s.change(ctx, req.Msg.GetId(), s.store.CompleteTask)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&taskv1.CompleteTaskResponse{Task: task}), nil
}

// ReopenTask implements TaskService.ReopenTask.
func (s *TaskServer) ReopenTask(ctx context.Context, req *connect.Request[taskv1.ReopenTaskRequest]) (*connect.Response[taskv1.ReopenTaskResponse], error) {
	task, err := s.change(ctx, req.Msg.GetId(), s.store.ReopenTask)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&taskv1.ReopenTaskResponse{Task: task}), nil
}

// ListTasks implements TaskService.ListTasks.
func (s *TaskServer) ListTasks(ctx context.Context, req *connect.Request[taskv1.ListTasksRequest]) (*connect.Response[taskv1.ListTasksResponse], error) {
	userID, err := authn.UserID(ctx)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	if m.GetDueAfter() != nil && m.GetDueBefore() != nil && !m.GetDueAfter().AsTime().Before(m.GetDueBefore().AsTime()) {
		return nil, apierr.Invalid("due_before", "due_range", "due_before must be after due_after")
	}
	page, err := pagetoken.Start[store.TaskCursor](m)
	if err != nil {
		return nil, err
	}
	f := store.TaskFilter{
		Query: taskrules.Text(m.GetQuery()), Status: m.GetStatus(), Priorities: m.GetPriorities(),
		Overdue: m.GetOverdue(), NoDue: m.GetNoDue(), IncludeDeleted: m.GetIncludeDeleted(), Now: s.now(),
	}
	if f.TagIDs, err = taskrules.ParseIDs("tag_ids", m.GetTagIds()); err != nil {
		return nil, err
	}
	if len(f.TagIDs) == 0 {
		f.TagIDs = nil
	}
	if t := m.GetDueAfter(); t != nil {
		at := t.AsTime()
		f.DueAfter = &at
	}
	if t := m.GetDueBefore(); t != nil {
		at := t.AsTime()
		f.DueBefore = &at
	}
	tasks, next, err := s.store.ListTasks(ctx, userID, f, store.TaskOrder{By: m.GetSortBy(), Desc: m.GetDescending()}, page.Size, page.After)
	if errors.Is(err, store.ErrBadCursor) {
		return nil, pagetoken.InvalidArgument()
	}
	if err != nil {
		return nil, err
	}
	resp := &taskv1.ListTasksResponse{Tasks: tasks}
	if resp.NextPageToken, err = page.NextToken(next); err != nil {
		return nil, err
	}
	return connect.NewResponse(resp), nil
}

// SyncTasks implements TaskService.SyncTasks.
func (s *TaskServer) SyncTasks(ctx context.Context, req *connect.Request[taskv1.SyncTasksRequest]) (*connect.Response[taskv1.SyncTasksResponse], error) {
	userID, err := authn.UserID(ctx)
	if err != nil {
		return nil, err
	}
	size := int(req.Msg.GetPageSize())
	if size == 0 {
		size = defaultSyncPageSize
	}
	tasks, mark, more, err := s.store.SyncTasks(ctx, userID, req.Msg.GetSinceChangeSeq(), size)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&taskv1.SyncTasksResponse{Tasks: tasks, ChangeSeq: mark, HasMore: more}), nil
}

// PreviewOccurrences implements TaskService.PreviewOccurrences, in the caller's time zone.
func (s *TaskServer) PreviewOccurrences(ctx context.Context, req *connect.Request[taskv1.PreviewOccurrencesRequest]) (*connect.Response[taskv1.PreviewOccurrencesResponse], error) {
	userID, err := authn.UserID(ctx)
	if err != nil {
		return nil, err
	}
	user, err := s.store.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(user.GetTimeZone())
	if err != nil {
		return nil, fmt.Errorf("load time zone of %s: %w", userID, err)
	}
	// The same check as CreateTask's, so that the preview shows exactly the series a task
	// may have.
	rule, start, err := taskrules.Series("rule", "start", req.Msg.GetRule(), req.Msg.GetStart(), loc)
	if err != nil {
		return nil, err
	}
	occ, err := recurrence.Occurrences(rule, start, loc, int(req.Msg.GetCount()))
	if err != nil {
		return nil, taskrules.RuleError("rule", err)
	}
	out := make([]*taskv1.Due, len(occ))
	for i, o := range occ {
		out[i] = recurrence.ToProtoDue(o)
	}
	return connect.NewResponse(&taskv1.PreviewOccurrencesResponse{Occurrences: out}), nil
}

// change runs a state change on the caller's task with id.
func (s *TaskServer) change(ctx context.Context, rawID string, fn func(context.Context, uuid.UUID, uuid.UUID) (*taskv1.Task, error)) (*taskv1.Task, error) {
	userID, id, err := userAndID(ctx, "id", rawID)
	if err != nil {
		return nil, err
	}
	return fn(ctx, userID, id)
}

// userAndID returns the caller and the parsed id of field.
func userAndID(ctx context.Context, field, raw string) (uuid.UUID, uuid.UUID, error) {
	userID, err := authn.UserID(ctx)
	if err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	id, err := parseID(field, raw)
	return userID, id, err
}
