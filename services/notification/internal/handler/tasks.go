package handler

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	internalv1 "github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1/internalv1connect"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
)

// ErrTaskNotFound is returned by Tasks.TaskForUser when the user has no such task.
var ErrTaskNotFound = errors.New("the user has no such task")

// Tasks looks up a user's task in the api, its owner: the notification service reads no
// other service's tables.
type Tasks interface {
	// TaskForUser returns the user's task, deleted or not. It returns an error wrapping
	// ErrTaskNotFound when the user has no such task (another user's task included); any
	// other error means the answer is unknown for now.
	TaskForUser(ctx context.Context, userID, taskID uuid.UUID) (*taskv1.Task, error)
}

// MeshTasks asks api's TaskInternalService.GetTaskForUser, through the mesh.
type MeshTasks struct {
	Client internalv1connect.TaskInternalServiceClient
}

var _ Tasks = MeshTasks{}

// TaskForUser implements Tasks.
func (m MeshTasks) TaskForUser(ctx context.Context, userID, taskID uuid.UUID) (*taskv1.Task, error) {
	res, err := m.Client.GetTaskForUser(ctx, connect.NewRequest(&internalv1.GetTaskForUserRequest{
		UserId: userID.String(), TaskId: taskID.String(),
	}))
	if connect.CodeOf(err) == connect.CodeNotFound {
		return nil, fmt.Errorf("get task %s of user %s: %w: %w", taskID, userID, ErrTaskNotFound, err)
	}
	if err != nil {
		return nil, fmt.Errorf("get task %s of user %s: %w", taskID, userID, err)
	}
	if res.Msg.GetTask() == nil {
		return nil, fmt.Errorf("get task %s of user %s: the api answered without a task", taskID, userID)
	}
	return res.Msg.GetTask(), nil
}
